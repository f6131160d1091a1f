import { AudioItem } from "@asrflow/core/AudioItem"
import { Transcriber } from "@asrflow/core/Transcriber"
import * as Emulator from "@asrflow/emulator/Emulator"
import type { EmulatorHandle } from "@asrflow/emulator/Emulator"
import type { Report } from "@asrflow/emulator/Report"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted, TestClock } from "effect"
import * as path from "node:path"
import * as OpenAiConfig from "../src/OpenAiConfig.js"
import * as OpenAiProvider from "../src/OpenAiProvider.js"
import * as Audio from "./utils/Audio.js"
import * as Emulated from "./utils/Emulated.js"

const work = Audio.tempDir("asrflow-openai-")

/** The openai provider's transcriber against the emulator, through the component's own layer. */
const transcriberFor = (emulator: EmulatorHandle, fields: Record<string, unknown> = {}, key = emulator.apiKey) =>
  Effect.gen(function*() {
    const config = OpenAiConfig.decode({
      type: "openai",
      base_url: `${emulator.origin}/v1`,
      retry: { attempts: 3, initial_backoff_ms: 10, max_backoff_ms: 50, jitter: false },
      ...fields
    })
    const context = yield* Layer.build(
      OpenAiProvider.layer(config, { key: Redacted.make(key), source: "test" }).pipe(
        Layer.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer))
      )
    )
    return Effect.provide(Transcriber, context)
  }).pipe(Effect.flatten)

/** Waits (in real time) until the emulator reaches a state it gets to on its own. */
const until = (emulator: EmulatorHandle, check: (report: Report) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 6000; i++) {
      if (check(yield* emulator.report)) return
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
    }
    return yield* Effect.dieMessage("the emulator never reached the state")
  })

describe("the openai provider against the emulator", () => {
  it.scopedLive("transcribes a folder with segment and word timestamps", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make(Emulated.fastEmulator())
      const transcriber = yield* transcriberFor(emulator, {
        language: "en",
        prompt: "Names: asrflow",
        timestamp_granularities: ["segment", "word"]
      })
      const items = [0, 1, 2].map((i) => Emulated.fileItem(Emulated.toneWav(path.join(work, `f${i}.wav`), i, 3), 3000))
      const transcripts = yield* Effect.forEach(items, (item) => transcriber.transcribe(item), { concurrency: 3 })
      for (const transcript of transcripts) {
        assert.strictEqual(transcript.provider, "openai")
        assert.strictEqual(transcript.model, "whisper-1")
        assert.strictEqual(transcript.language, "en")
        assert.strictEqual(transcript.durationMs, 3000)
        assert.isAbove(transcript.sentences.length, 0)
        assert.strictEqual(transcript.sentences.map((s) => s.text).join(" "), transcript.text)
        for (const sentence of transcript.sentences) {
          assert.isAbove(sentence.words?.length ?? 0, 0)
          assert.isTrue(
            sentence.words!.every((w) => w.beginMs >= sentence.beginMs - 1 && w.endMs <= sentence.endMs + 1)
          )
        }
      }
      const report = yield* emulator.report
      assert.strictEqual(report.counts["transcriptions 200"], 3)
      assert.deepStrictEqual(report.violations, [])
    }))

  it.scopedLive("refuses an oversize file with a clear error before any request", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make(Emulated.fastEmulator())
      const transcriber = yield* transcriberFor(emulator, { max_file_mb: 0.05 })
      const file = Emulated.toneWav(path.join(work, "big.wav"), 7, 3)
      const error = yield* Effect.flip(transcriber.transcribe(Emulated.fileItem(file, 3000)))
      assert.strictEqual(error.reason, "InvalidAudio")
      assert.include(error.message, "big.wav is 0.1 MB")
      assert.include(error.message, "at most 0.05 MB per request (max_file_mb)")
      assert.include(error.message, "nothing was sent")
      assert.strictEqual((yield* emulator.report).requests["transcriptions"] ?? 0, 0)
    }))

  it.scoped("honours Retry-After on a 429 before it retries", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make(Emulated.fastEmulator({
        faults: [{ endpoint: "transcriptions", kind: "throttle", at: [1], retry_after_s: 30 }]
      }))
      const transcriber = yield* transcriberFor(emulator)
      const item = Emulated.fileItem(Emulated.toneWav(path.join(work, "busy.wav"), 3, 1), 1000)
      const fiber = yield* Effect.fork(transcriber.transcribe(item))
      yield* until(emulator, (report) => report.counts["transcriptions 429"] === 1)
      // the retry waits on the clock: 30 s from the answer, not the 10 ms backoff of the policy
      yield* Effect.gen(function*() {
        for (let i = 0; i < 6000 && (yield* TestClock.sleeps()).length === 0; i++) {
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
        }
      })
      const [wake] = yield* TestClock.sleeps()
      assert.isAtLeast(Number(wake), 30_000)
      yield* TestClock.adjust("29 seconds")
      assert.strictEqual((yield* emulator.report).requests["transcriptions"], 1)
      yield* TestClock.adjust("1 second")
      const transcript = yield* Fiber.join(fiber)
      assert.strictEqual(transcript.status, "SUCCEEDED")
      const report = yield* emulator.report
      assert.deepStrictEqual([report.counts["transcriptions 429"], report.counts["transcriptions 200"]], [1, 1])
    }))

  it.scopedLive("a rejected key is a fatal Unauthorized error; a URL item is refused with a clear message", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make(Emulated.fastEmulator())
      const wrong = yield* transcriberFor(emulator, {}, "sk-wrong-key-0123456789")
      const item = Emulated.fileItem(Emulated.toneWav(path.join(work, "k.wav"), 4, 1), 1000)
      const error = yield* Effect.flip(wrong.transcribe(item))
      assert.strictEqual(error.reason, "Unauthorized")
      assert.isTrue(error.isFatal)
      assert.notInclude(error.message, "sk-wrong-key")
      const transcriber = yield* transcriberFor(emulator)
      const url = new AudioItem({
        id: "u",
        source: "https://example.com/a.mp3",
        kind: "url",
        outputKey: "u",
        origin: "t"
      })
      const refused = yield* Effect.flip(transcriber.transcribe(url))
      assert.strictEqual(refused.reason, "InvalidRequest")
      assert.include(refused.message, "takes the file itself")
    }))
})
