import { Redact } from "@asrflow/core"
import { Transcribed, Transcript } from "@asrflow/core/Transcript"
import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as JsonSink from "../src/JsonSink.js"
import * as fixtures from "./fixtures.js"
import { assertAllRight, assertGolden, runSink, tempRoot } from "./utils.js"
import * as Goldens from "./utils/goldens.js"

const config = new JsonSink.Config({ type: "json" })

layer(NodeContext.layer)("JsonSink", (it) => {
  for (const golden of Goldens.json) {
    const result = golden.result
    it.scoped(`writes the ${golden.name} golden`, () =>
      Effect.gen(function*() {
        const text = yield* assertGolden(golden)
        const json = JSON.parse(text)
        assert.strictEqual(json.text, result.transcript.text)
        assert.strictEqual(json.status, "SUCCEEDED")
        assert.strictEqual(json.task_id, result.transcript.taskId ?? null)
        assert.property(json, "raw")
        for (
          const key of [
            "model",
            "audio",
            "language",
            "emotion",
            "duration_ms",
            "usage_seconds",
            "sentences",
            "words",
            "warnings",
            "metadata"
          ]
        ) {
          assert.property(json, key)
        }
        assert.notMatch(text, /\\u[0-9a-f]{4}/i, "non-ASCII is written as UTF-8, not escaped")
        assert.isTrue(text.endsWith("}\n"))
      }))
  }

  it.scoped("keeps Chinese readable, flattens words, and redacts URL signatures in raw", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      assertAllRight(yield* runSink(JsonSink.component, config, dir, [fixtures.chinese]))
      const text = yield* fs.readFileString(`${outputRoot}/transcripts/zh/hello.json`)
      assert.include(text, "\"text\": \"你好，世界。欢迎使用通义千问语音识别。\"")
      assert.notInclude(text, "fixtureSig")
      assert.notInclude(text, "LTAI5tFixtureAccessKey")
      const json = JSON.parse(text)
      assert.strictEqual(json.words.length, 16)
      assert.deepStrictEqual(json.words[1], {
        sentence_id: 0,
        channel_id: 0,
        begin_ms: 275,
        end_ms: 550,
        text: "好",
        punctuation: "，"
      })
      assert.deepStrictEqual(json.metadata, { speaker: "甲", batch: 7 })
      assert.strictEqual(json.raw.transcription_result.file_url, "oss://dashscope-instant/abc/hello.wav")
    }))

  it.scoped("never writes the API key, wherever it appears", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const leaky = fixtures.withKey(fixtures.english, "leaky")
      const withKeyInRaw = new Transcribed({
        item: leaky.item,
        transcript: new Transcript({
          ...leaky.transcript,
          raw: { echo: `Authorization: Bearer ${fixtures.apiKey}` },
          warnings: [`key ${fixtures.apiKey}`]
        })
      })
      assertAllRight(
        yield* runSink(JsonSink.component, config, dir, [withKeyInRaw]).pipe(
          Effect.provide(Redact.layer([fixtures.apiKey]))
        )
      )
      const text = yield* fs.readFileString(`${outputRoot}/transcripts/leaky.json`)
      assert.notInclude(text, fixtures.apiKey)
      assert.include(text, "key ***")
    }))
})
