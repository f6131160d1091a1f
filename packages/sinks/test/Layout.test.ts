import { Redact, RunEvents, Summary } from "@asrflow/core"
import { Transcribed, Transcript } from "@asrflow/core/Transcript"
import type { TranscriptResult } from "@asrflow/core/Transcript"
import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Redacted } from "effect"
import { Effect, Schema } from "effect"
import * as RunLog from "../src/RunLog.js"
import * as RunSummary from "../src/RunSummary.js"
import * as Sinks from "../src/Sinks.js"
import * as fixtures from "./fixtures.js"
import { runContext, runId, tempRoot } from "./utils.js"

layer(NodeContext.layer)("the output layout", (it) => {
  it.scoped("every sink together produces the whole tree for a nested folder, with no API key anywhere", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const results: Array<TranscriptResult> = [
        fixtures.withKey(fixtures.chinese, "2024/a/x"),
        fixtures.withKey(fixtures.english, "2024/b/x"),
        fixtures.withKey(fixtures.long, "2024/b/deeper/lecture"),
        fixtures.failed
      ]
      const mixed = fixtures.withKey(fixtures.mixed, "2024/leaky")
      const leakyWarning = new Transcribed({
        item: mixed.item,
        transcript: new Transcript({
          ...mixed.transcript,
          raw: { echo: { headers: `Authorization: Bearer ${fixtures.apiKey}` }, note: fixtures.apiKey },
          warnings: [`a provider echoed ${fixtures.apiKey}`]
        })
      })
      const configs = Sinks.registry.components.map((component) =>
        Schema.decodeUnknownSync(component.config as Schema.Schema<any, any>)({ type: component.type })
      )
      const program = Effect.gen(function*() {
        const sinks = yield* Effect.forEach(configs, (config) => Sinks.registry.get(config.type)!.make(config))
        for (const result of [...results, leakyWarning]) {
          yield* RunEvents.emit("planned", result.item.id, { data: { key: fixtures.apiKey } })
          for (const sink of sinks) yield* sink.write(result)
          yield* RunEvents.emit(result._tag === "Failed" ? "failed" : "written", result.item.id, { durationMs: 1 })
        }
      })
      yield* Effect.scoped(program).pipe(
        Effect.provide(RunLog.layer),
        Effect.provide(runContext(dir)),
        Effect.provide(Redact.layer([Redacted.make(fixtures.apiKey)]))
      )
      yield* RunSummary.write(
        Summary.fromTally({ ...Summary.emptyTally(), total: 5, done: 4, failed: 1 }, { runId, elapsedMs: 10 })
      ).pipe(Effect.provide(runContext(dir)))

      const files = (yield* fs.readDirectory(outputRoot, { recursive: true }))
        .filter((entry) => entry.includes("."))
        .sort()
      assert.deepStrictEqual(
        files,
        [
          "responses/2024/a/x.json",
          "responses/2024/b/deeper/lecture.json",
          "responses/2024/b/x.json",
          "responses/2024/leaky.json",
          "responses/bad/broken.json",
          `runs/${runId}.log.jsonl`,
          `runs/${runId}.summary.json`,
          ...["2024/a/x", "2024/b/deeper/lecture", "2024/b/x", "2024/leaky"].flatMap((key) =>
            ["json", "srt", "txt", "vtt"].map((ext) => `transcripts/${key}.${ext}`)
          ),
          "transcripts.jsonl"
        ].sort()
      )

      // the equivalent of `grep -r <api key>` over the output root
      for (const file of files) {
        const text = yield* fs.readFileString(`${outputRoot}/${file}`)
        assert.notInclude(text, fixtures.apiKey, file)
        assert.notInclude(text, "fixtureSig", file)
      }
      const log = (yield* fs.readFileString(`${outputRoot}/runs/${runId}.log.jsonl`)).trimEnd().split("\n")
      assert.strictEqual(log.length, 10)
      const jsonl = (yield* fs.readFileString(`${outputRoot}/transcripts.jsonl`)).trimEnd().split("\n")
      assert.strictEqual(jsonl.length, 5)
    }))
})
