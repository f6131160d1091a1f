import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { KeyHashes } from "../src/internal/keyHashes.js"
import * as JsonlMerge from "../src/JsonlMerge.js"
import * as JsonlSink from "../src/JsonlSink.js"
import * as fixtures from "./fixtures.js"
import { assertAllRight, runContext, runSink, tempRoot } from "./utils.js"

const config = new JsonlSink.Config({ type: "jsonl" })
const readLines = (text: string) => text.trimEnd().split("\n").map((line) => JSON.parse(line))

layer(NodeContext.layer)("JsonlSink", (it) => {
  it.scoped("writes one line per result, failed results included with their reason and message", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const results = [fixtures.chinese, fixtures.failed, fixtures.english, fixtures.empty]
      assertAllRight(yield* runSink(JsonlSink.component, config, dir, results))
      const text = yield* fs.readFileString(`${outputRoot}/transcripts.jsonl`)
      assert.isTrue(text.endsWith("\n"))
      assert.include(text, "你好，世界。", "UTF-8, not escaped")
      assert.notInclude(text, "fixtureSig")
      const lines = readLines(text)
      assert.deepStrictEqual(lines.map((line) => line.output_key), ["zh/hello", "bad/broken", "en/meeting", "silence"])
      assert.deepStrictEqual(lines[1], {
        status: "FAILED",
        audio: "/data/audio/bad/broken.wav",
        output_key: "bad/broken",
        phase: "transcribe",
        reason: "InvalidAudio",
        message: fixtures.failed.message,
        request_id: "req-bad-0001",
        metadata: { speaker: "甲", batch: 7 }
      })
      assert.strictEqual(lines[0].text, fixtures.chinese.transcript.text)
      assert.strictEqual(lines[0].task_id, "task-zh-0001")
      assert.strictEqual(lines[3].text, "")
      assert.deepStrictEqual((yield* fs.readDirectory(outputRoot)).sort(), ["transcripts.jsonl"], "no partial left")
    }))

  it.scoped("shows no file while the run is going on, and the whole file once the sink closes", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const scope = yield* Scope.make()
      const sink = yield* JsonlSink.component.make(config).pipe(
        Scope.extend(scope),
        Effect.provide(runContext(dir))
      )
      yield* sink.write(fixtures.chinese)
      yield* sink.write(fixtures.failed)
      assert.isFalse(yield* fs.exists(`${outputRoot}/transcripts.jsonl`))
      const partials = (yield* fs.readDirectory(outputRoot)).filter((name) => name.endsWith(".partial"))
      assert.strictEqual(partials.length, 1)
      assert.strictEqual(readLines(yield* fs.readFileString(`${outputRoot}/${partials[0]}`)).length, 2)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(readLines(yield* fs.readFileString(`${outputRoot}/transcripts.jsonl`)).length, 2)
    }))

  it.scoped("keeps the lines of earlier runs, one per output key, the newest winning", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      assertAllRight(yield* runSink(JsonlSink.component, config, dir, [fixtures.chinese, fixtures.failed]))
      // a re-run: the failed item now succeeds; the done one is skipped (never reaches the sink)
      const retried = fixtures.withKey(fixtures.english, "bad/broken")
      assertAllRight(yield* runSink(JsonlSink.component, config, dir, [retried, fixtures.mixed]))
      const lines = readLines(yield* fs.readFileString(`${outputRoot}/transcripts.jsonl`))
      assert.deepStrictEqual(lines.map((line) => [line.output_key, line.status]), [
        ["zh/hello", "SUCCEEDED"],
        ["bad/broken", "SUCCEEDED"],
        ["mixed/我们的会议", "SUCCEEDED"]
      ])
    }))

  it.scoped("writes every line whole when many items write at once, each in the file before its write returns", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const scope = yield* Scope.make()
      const sink = yield* JsonlSink.component.make(config).pipe(Scope.extend(scope), Effect.provide(runContext(dir)))
      const results = Array.from({ length: 200 }, (_, i) => fixtures.withKey(fixtures.chinese, `item/${i}`))
      const partialLines = Effect.gen(function*() {
        const partial = (yield* fs.readDirectory(outputRoot)).find((name) => name.endsWith(".partial"))!
        const text = yield* fs.readFileString(`${outputRoot}/${partial}`)
        // a write still going on may show as the start of a line at the end: only whole lines are read
        return readLines(text.slice(0, text.lastIndexOf("\n") + 1)).map((line) => line.output_key)
      })
      // 32 at a time, as a run's items do; each write finds its own line in the file once it returns
      yield* Effect.forEach(
        results,
        (result) =>
          Effect.zipRight(
            sink.write(result),
            Effect.map(partialLines, (keys) => assert.include(keys, result.item.outputKey))
          ),
        { concurrency: 32, discard: true }
      )
      yield* Scope.close(scope, Exit.void)
      const keys = readLines(yield* fs.readFileString(`${outputRoot}/transcripts.jsonl`)).map((line) => line.output_key)
      assert.strictEqual(keys.length, 200)
      assert.deepStrictEqual([...keys].sort(), results.map((result) => result.item.outputKey).sort())
    }))

  it.scoped("leaves the file as it is (not rewritten) after a run that wrote nothing to it", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      assertAllRight(yield* runSink(JsonlSink.component, config, dir, [fixtures.chinese, fixtures.failed]))
      const file = `${outputRoot}/transcripts.jsonl`
      const before = yield* fs.stat(file)
      const text = yield* fs.readFileString(file)
      // a resumed run whose items were all skipped: the sink opens and closes without a line
      assertAllRight(yield* runSink(JsonlSink.component, config, dir, []))
      const after = yield* fs.stat(file)
      assert.deepStrictEqual(after.ino, before.ino, "the same file, not a merged copy renamed onto it")
      assert.strictEqual(yield* fs.readFileString(file), text)
      assert.deepStrictEqual((yield* fs.readDirectory(outputRoot)).sort(), ["transcripts.jsonl"], "no partial left")
    }))

  it.scoped("recovers the complete lines a crashed run left in its partial file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      yield* fs.makeDirectory(outputRoot, { recursive: true })
      const crashed = `${JSON.stringify(JsonlSink.line(fixtures.english))}\n{"status":"FAILED","output_key":"half`
      yield* fs.writeFileString(`${outputRoot}/.transcripts.jsonl.crashed-run.0000.partial`, crashed)
      assertAllRight(yield* runSink(JsonlSink.component, config, dir, [fixtures.chinese]))
      const lines = readLines(yield* fs.readFileString(`${outputRoot}/transcripts.jsonl`))
      assert.deepStrictEqual(lines.map((line) => line.output_key), ["en/meeting", "zh/hello"])
      assert.deepStrictEqual((yield* fs.readDirectory(outputRoot)).sort(), ["transcripts.jsonl"])
    }))

  it.scoped("writes to an absolute path and fails to open with a clear error when the parent is a file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir } = yield* tempRoot
      assertAllRight(
        yield* runSink(
          JsonlSink.component,
          new JsonlSink.Config({ type: "jsonl", path: `${dir}/elsewhere/all.jsonl` }),
          dir,
          [
            fixtures.english
          ]
        )
      )
      assert.strictEqual(readLines(yield* fs.readFileString(`${dir}/elsewhere/all.jsonl`)).length, 1)
      yield* fs.writeFileString(`${dir}/blocker`, "")
      const error = yield* Effect.flip(
        runSink(JsonlSink.component, new JsonlSink.Config({ type: "jsonl", path: `${dir}/blocker/all.jsonl` }), dir, [])
      )
      assert.strictEqual(error.reason, "Open")
      assert.include(error.message, `jsonl sink could not open ${dir}/blocker/all.jsonl`)
    }))

  it("merges generations by output key and keeps lines that are not JSON", () => {
    const merged = JsonlSink.merge(
      [`{"output_key":"a","v":1}`, "not json", `{"output_key":"b","v":1}`],
      [`{"output_key":"a","v":2}`]
    )
    assert.deepStrictEqual(merged, ["not json", `{"output_key":"b","v":1}`, `{"output_key":"a","v":2}`])
  })

  it.scoped("merges generations from disk, streamed, as the in-memory merge does, past many blocks of writes", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir } = yield* tempRoot
      const older = [`{"output_key":"a","v":1}`, "not json", `{"output_key":"b","v":1}`]
      const newer = [`{"output_key":"a","v":2}`]
      // 3,000 lines of about 300 characters: several 256 KiB blocks, with keys repeated across generations
      const padding = "x".repeat(280)
      const bulk = Array.from({ length: 3000 }, (_, i) => `{"output_key":"k${i % 2000}","v":${i},"p":"${padding}"}`)
      yield* fs.writeFileString(`${dir}/previous.jsonl`, `${older.join("\n")}\n${bulk.slice(0, 1500).join("\n")}`)
      yield* fs.writeFileString(
        `${dir}/crashed.partial`,
        `${bulk.slice(1500).join("\n")}\n${newer.join("\n")}\n{"output_ke`
      )
      yield* fs.writeFileString(`${dir}/ours.partial`, "")
      yield* JsonlMerge.mergeInto(`${dir}/merged.jsonl`, [
        { file: `${dir}/previous.jsonl`, keepUnterminated: true },
        { file: `${dir}/crashed.partial`, keepUnterminated: false },
        { file: `${dir}/ours.partial`, keepUnterminated: false }
      ])
      const expected = JsonlSink.merge([...older, ...bulk.slice(0, 1500)], [...bulk.slice(1500), ...newer])
      const text = yield* fs.readFileString(`${dir}/merged.jsonl`)
      assert.strictEqual(text, `${expected.join("\n")}\n`)
      assert.strictEqual(expected.length, 2003, "2,000 bulk keys, a, b and the line that is not JSON")
      assert.isTrue(expected.at(-1) === newer[0] && !text.includes(`{"output_ke\n`), "a cut-off last line is dropped")
      assert.deepStrictEqual((yield* fs.readDirectory(dir)).filter((entry) => entry.endsWith(".tmp")), [])
    }))

  it.scoped("merges lines longer than a read or a write, and characters split across reads, byte for byte", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir } = yield* tempRoot
      // multi-byte text (3 and 4 bytes a character) falls across the 64 KiB reads; one line of 400,000
      // characters is longer than a read and than the 256 KiB write buffer
      const lines = Array.from({ length: 400 }, (_, i) => `{"output_key":"k${i}","text":"${"你好🎧".repeat(97 + i)}"}`)
      lines.splice(200, 0, `{"output_key":"long","text":"${"長".repeat(400_000)}"}`)
      const text = `${lines.join("\n")}\n`
      yield* fs.writeFileString(`${dir}/ours.partial`, text)
      yield* JsonlMerge.mergeInto(`${dir}/merged.jsonl`, [{ file: `${dir}/ours.partial`, keepUnterminated: false }])
      assert.strictEqual(yield* fs.readFileString(`${dir}/merged.jsonl`), text)
    }))

  it("finds repeated keys by hash, and none among 100,000 distinct keys", () => {
    const hashes = new KeyHashes()
    for (let i = 0; i < 100_000; i++) hashes.add(`f${Math.floor(i / 1000)}/clip-${String(i).padStart(6, "0")}`)
    assert.strictEqual(hashes.repeated().size, 0)
    hashes.add("f0/clip-000007")
    assert.deepStrictEqual([...hashes.repeated()], [hashes.at(7)])
    assert.strictEqual(hashes.size, 100_001)
  })

  it.scoped("fails its flush, naming the file, when the merged file cannot be put in place; the lines are kept", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      // a directory where the JSONL file should go: the atomic rename into place must fail
      yield* fs.makeDirectory(`${outputRoot}/transcripts.jsonl`, { recursive: true })
      const scope = yield* Scope.make()
      const sink = yield* JsonlSink.component.make(config).pipe(Scope.extend(scope), Effect.provide(runContext(dir)))
      yield* sink.write(fixtures.chinese)
      const error = yield* Effect.flip(sink.flush!)
      assert.strictEqual(error._tag, "SinkError")
      assert.include(error.message, `${outputRoot}/transcripts.jsonl`)
      assert.include(error.message, "the next run merges them")
      yield* Scope.close(scope, Exit.void)
      const partials = (yield* fs.readDirectory(outputRoot)).filter((entry) => entry.endsWith(".partial"))
      assert.strictEqual(partials.length, 1, "the written lines stay for the next run")
    }))
})
