import { Redact, RunEvents, Summary } from "@asrflow/core"
import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as RunLog from "../src/RunLog.js"
import * as RunSummary from "../src/RunSummary.js"
import * as fixtures from "./fixtures.js"
import { runContext, runId, tempRoot } from "./utils.js"

const phases = ["planned", "staged", "submitted", "polled", "transcribed", "written"] as const

layer(NodeContext.layer)("RunLog", (it) => {
  it.scoped("appends one whole JSON line per event to runs/<run id>.log.jsonl, redacted", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const items = Array.from({ length: 20 }, (_, index) => `item-${index}`)
      yield* Effect.forEach(
        items,
        (item) =>
          Effect.forEach(phases, (phase) =>
            RunEvents.emit(phase, item, {
              durationMs: 5,
              data: { url: "https://x.example.com/r.json?Signature=abc&OSSAccessKeyId=LTAIxyz", key: fixtures.apiKey }
            }), { discard: true }),
        { concurrency: "unbounded", discard: true }
      ).pipe(
        Effect.provide(
          RunLog.layer.pipe(Layer.provide(runContext(dir)), Layer.provide(Redact.layer([fixtures.apiKey])))
        )
      )
      const text = yield* fs.readFileString(`${outputRoot}/runs/${runId}.log.jsonl`)
      assert.notInclude(text, fixtures.apiKey)
      assert.notInclude(text, "LTAIxyz")
      const lines = text.trimEnd().split("\n").map((line) => JSON.parse(line))
      assert.strictEqual(lines.length, items.length * phases.length)
      for (const item of items) {
        const own = lines.filter((line) => line.item === item)
        assert.deepStrictEqual(own.map((line) => line.phase), [...phases], "one event per phase per item, in order")
      }
      assert.strictEqual(lines[0].run_id, runId)
      assert.strictEqual(lines[0].duration_ms, 5)
      assert.match(lines[0].at, /^\d{4}-\d\d-\d\dT/)
      assert.strictEqual(lines[0].data.url, "https://x.example.com/r.json?Signature=***&OSSAccessKeyId=***")
    }))

  it.scoped("keeps the items going when a write fails, and reports the first failure as a problem of the run", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      yield* fs.makeDirectory(`${outputRoot}/runs`, { recursive: true })
      // every write to /dev/full fails with ENOSPC, as on a full disk
      yield* fs.symlink("/dev/full", `${outputRoot}/runs/${runId}.log.jsonl`)
      const problems = yield* Effect.gen(function*() {
        const events = yield* RunEvents.RunEvents
        for (const phase of phases) yield* RunEvents.emit(phase, "item-0")
        return yield* events.problems!
      }).pipe(Effect.provide(RunLog.layer.pipe(Layer.provide(runContext(dir)))))
      assert.strictEqual(problems.length, 1)
      assert.include(problems[0], `could not append to the run log ${outputRoot}/runs/${runId}.log.jsonl`)
      assert.include(problems[0], "ENOSPC")
    }))

  it.scoped("fails to open with a clear error when runs/ cannot be made", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      yield* fs.makeDirectory(outputRoot, { recursive: true })
      yield* fs.writeFileString(`${outputRoot}/runs`, "")
      const error = yield* Effect.flip(Layer.build(RunLog.layer.pipe(Layer.provide(runContext(dir)))))
      assert.strictEqual(error.sink, "run-log")
      assert.include(error.message, `${outputRoot}/runs/${runId}.log.jsonl`)
    }))

  it.scoped("writes the summary atomically to runs/<run id>.summary.json", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const summary = Summary.fromTally(
        {
          ...Summary.emptyTally(),
          total: 2,
          done: 1,
          failed: 1,
          failures: [{ item: "a", phase: "transcribe", message: `bad key ${fixtures.apiKey}` }]
        },
        { runId, elapsedMs: 1234 }
      )
      const file = yield* RunSummary.write(summary).pipe(
        Effect.provide(runContext(dir)),
        Effect.provide(Redact.layer([fixtures.apiKey]))
      )
      assert.strictEqual(file, `${outputRoot}/runs/${runId}.summary.json`)
      const text = yield* fs.readFileString(file)
      assert.notInclude(text, fixtures.apiKey)
      const json = JSON.parse(text)
      assert.strictEqual(json.run_id, runId)
      assert.strictEqual(json.done, 1)
      assert.strictEqual(json.failures[0].message, "bad key ***")
      assert.deepStrictEqual(yield* fs.readDirectory(`${outputRoot}/runs`), [`${runId}.summary.json`])
    }))
})
