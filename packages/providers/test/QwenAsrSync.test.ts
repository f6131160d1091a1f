import { AudioItem } from "@asrflow/core/AudioItem"
import type { TranscriptionError } from "@asrflow/core/Transcriber"
import type { Transcript } from "@asrflow/core/Transcript"
import { HttpClient } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import type { Duration } from "effect"
import { Effect, Exit, Fiber, Redacted, TestClock } from "effect"
import * as fs from "node:fs"
import * as DashScopeClient from "../src/DashScopeClient.js"
import * as Models from "../src/Models.js"
import * as QwenAsrSync from "../src/QwenAsrSync.js"
import * as QwenConfig from "../src/QwenConfig.js"
import * as QwenProvider from "../src/QwenProvider.js"
import * as QwenRequest from "../src/QwenRequest.js"
import * as SyncAnswer from "../src/SyncAnswer.js"
import * as Audio from "./utils/Audio.js"
import * as FakeHttp from "./utils/FakeHttp.js"

const dir = Audio.tempDir()
const hello = Audio.speech(dir, "hello", "hello world", "wav")
const sixMinutes = Audio.tone(dir, "six-minutes", 360, "mp3")

const config = (fields: Record<string, unknown> = {}) => QwenConfig.decode({ type: "qwen", ...fields })

const compatOk = (text: string, extra: Record<string, unknown> = {}) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  model: "qwen3-asr-flash",
  choices: [{
    index: 0,
    finish_reason: "stop",
    message: {
      role: "assistant",
      content: text,
      annotations: [{ type: "audio_info", language: "en", emotion: "happy" }]
    }
  }],
  usage: { prompt_tokens: 50, completion_tokens: 3, total_tokens: 53, seconds: 2 },
  ...extra
})

const nativeOk = (text: string) => ({
  request_id: "native-req-1",
  output: {
    choices: [{
      finish_reason: "stop",
      message: {
        role: "assistant",
        content: [{ text }],
        annotations: [{ type: "audio_info", language: "en", emotion: "neutral" }]
      }
    }]
  },
  usage: { seconds: 1 }
})

const urlItem = (source: string, durationMs?: number) =>
  new AudioItem({
    id: source,
    source,
    kind: "url",
    outputKey: "remote",
    origin: "test",
    ...(durationMs !== undefined ? { durationMs } : {})
  })

const harness = (
  fields: Record<string, unknown>,
  respond: Parameters<typeof FakeHttp.make>[0],
  clientOptions: Partial<DashScopeClient.Options> = {}
) =>
  Effect.gen(function*() {
    const fake = yield* FakeHttp.make(respond)
    const cfg = config(fields)
    const client = yield* DashScopeClient.make({
      apiKey: Redacted.make("sk-unit-secret-key"),
      httpBaseUrl: "http://fake.test/api/v1",
      region: cfg.region,
      ...clientOptions
    }).pipe(Effect.provideService(HttpClient.HttpClient, fake.client))
    const transcriber = yield* QwenAsrSync.make(cfg).pipe(
      Effect.provideService(DashScopeClient.DashScopeClient, client)
    )
    return { transcriber, fake }
  })

const failureOf = <A>(exit: Exit.Exit<A, TranscriptionError>): TranscriptionError => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error("expected a typed failure")
  return exit.cause.error
}

/** Request times relative to the first request (the TestClock is shared by the tests of a layer). */
const relative = (requests: ReadonlyArray<FakeHttp.Recorded>) => requests.map((r) => r.at - requests[0].at)

/** Runs an effect that sleeps on the TestClock to completion. */
const settle = <A, E>(effect: Effect.Effect<A, E>, advance: Duration.DurationInput = "30 minutes") =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Effect.exit(effect))
    yield* TestClock.adjust(advance)
    return yield* Fiber.join(fiber)
  })

describe("QwenAsrSync request mapping", () => {
  const sync = Models.lookup("qwen3-asr-flash")!
  const audioAsr = Models.lookup("qwen-audio-asr")!

  it("sends one language hint as asr_options.language, enable_itn, and context as the system message", () => {
    const request = QwenRequest.effectiveRequest(
      config({ language_hints: ["zh"], enable_itn: true, context: "Glossary: DashScope" }),
      {}
    )
    assert.deepStrictEqual(QwenRequest.warningsFor(sync, "qwen3-asr-flash", request), [])
    assert.deepStrictEqual(
      QwenAsrSync.toCompatibleRequest(sync, "qwen3-asr-flash", request, "https://a/b.wav", false),
      {
        model: "qwen3-asr-flash",
        messages: [
          { role: "system", content: [{ text: "Glossary: DashScope" }] },
          { role: "user", content: [{ type: "input_audio", input_audio: { data: "https://a/b.wav" } }] }
        ],
        stream: false,
        asr_options: { language: "zh", enable_itn: true }
      }
    )
    assert.deepStrictEqual(QwenAsrSync.toNativeRequest(sync, "qwen3-asr-flash", request, "https://a/b.wav", true), {
      model: "qwen3-asr-flash",
      input: {
        messages: [
          { role: "system", content: [{ text: "Glossary: DashScope" }] },
          { role: "user", content: [{ audio: "https://a/b.wav" }] }
        ]
      },
      parameters: { asr_options: { language: "zh", enable_itn: true }, incremental_output: true }
    })
  })

  it("sends no language for several hints, with a warning that qwen3 auto-detects", () => {
    const request = QwenRequest.effectiveRequest(config({ language_hints: ["zh", "en"] }), {})
    const warnings = QwenRequest.warningsFor(sync, "qwen3-asr-flash", request)
    assert.strictEqual(warnings.length, 1)
    assert.include(warnings[0], "auto-detects")
    assert.deepStrictEqual(QwenAsrSync.toCompatibleRequest(sync, "qwen3-asr-flash", request, "u", true), {
      model: "qwen3-asr-flash",
      messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "u" } }] }],
      stream: true,
      stream_options: { include_usage: true }
    })
    assert.deepStrictEqual(QwenAsrSync.toNativeRequest(sync, "qwen3-asr-flash", request, "u", false), {
      model: "qwen3-asr-flash",
      input: { messages: [{ role: "user", content: [{ audio: "u" }] }] }
    })
  })

  const unhonoured: ReadonlyArray<[string, Record<string, unknown>, string]> = [
    ["vocabulary_id", { vocabulary_id: "vocab-1" }, "vocabulary_id"],
    ["disfluency_removal_enabled", { disfluency_removal_enabled: true }, "disfluency_removal_enabled"],
    ["timestamp_granularities", { timestamp_granularities: ["sentence", "word"] }, "timestamp_granularities"],
    ["sample_rate", { sample_rate: 16000 }, "sample_rate"],
    ["channel_id", { channel_id: [0, 1] }, "channel_id"]
  ]
  for (const [name, fields, word] of unhonoured) {
    it(`warns about ${name} and never sends it`, () => {
      const request = QwenRequest.effectiveRequest(config(fields), {})
      const warnings = QwenRequest.warningsFor(sync, "qwen3-asr-flash", request)
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0], word)
      assert.include(warnings[0], "not sent")
      const bodies = [
        JSON.stringify(QwenAsrSync.toCompatibleRequest(sync, "qwen3-asr-flash", request, "u", false)),
        JSON.stringify(QwenAsrSync.toNativeRequest(sync, "qwen3-asr-flash", request, "u", false))
      ]
      for (const body of bodies) {
        assert.notInclude(body, name)
        assert.notInclude(body, "language_hints")
      }
      assert.deepStrictEqual(QwenProvider.component.check(config(fields)), warnings)
    })
  }

  it("sends neither asr_options nor context to qwen-audio-asr, and warns", () => {
    const request = QwenRequest.effectiveRequest(
      config({ model: "qwen-audio-asr", language_hints: ["en"], enable_itn: true, context: "terms", stream: true }),
      {}
    )
    const warnings = QwenRequest.warningsFor(audioAsr, "qwen-audio-asr", request)
    assert.strictEqual(warnings.length, 4)
    assert.deepStrictEqual(QwenAsrSync.toNativeRequest(audioAsr, "qwen-audio-asr", request, "u", false), {
      model: "qwen-audio-asr",
      input: { messages: [{ role: "user", content: [{ audio: "u" }] }] }
    })
  })

  it("takes model, language_hints and context from the item's overrides", () => {
    const request = QwenRequest.effectiveRequest(config({ language_hints: ["zh"], context: "a" }), {
      overrides: { model: "qwen3-asr-flash-2026-02-10", language_hints: ["en"], context: "b" }
    })
    assert.strictEqual(request.model, "qwen3-asr-flash-2026-02-10")
    assert.deepStrictEqual(request.language_hints, ["en"])
    assert.strictEqual(request.context, "b")
  })

  it("rejects unknown models at decode time with the known families", () => {
    assert.throws(() => config({ model: "whisper-1" }), /unknown model "whisper-1"/)
    assert.strictEqual(config({ model: "qwen3-asr-flash-2099-01-01" }).model, "qwen3-asr-flash-2099-01-01")
  })

  it("suggests the closest model from the capability table for a typo, dated snapshots included", () => {
    assert.throws(() => config({ model: "qwen3-asr-flahs" }), /did you mean `qwen3-asr-flash`\?/)
    assert.throws(
      () => config({ model: "qwen3-asr-flsh-filetrans-2025-11-17" }),
      /did you mean `qwen3-asr-flash-filetrans-2025-11-17`\?/
    )
    assert.throws(() => config({ model: "atuo" }), /did you mean `auto`\?/)
    assert.throws(() => config({ model: "whisper-1" }), /^(?![\s\S]*did you mean)/)
  })

  it("routes by longest prefix: snapshots, -us variants and filetrans", () => {
    assert.strictEqual(Models.lookup("qwen3-asr-flash-2026-02-10")?.mode, "sync")
    assert.strictEqual(Models.lookup("qwen3-asr-flash-filetrans-2025-11-17")?.mode, "async")
    assert.deepStrictEqual(Models.lookup("qwen3-asr-flash-2025-09-08-us")?.protocols, ["native"])
    assert.deepStrictEqual(Models.lookup("qwen-audio-asr-latest")?.protocols, ["native"])
    assert.isUndefined(Models.lookup("paraformer-v2"))
    assert.strictEqual(Models.route({ durationMs: 299_000 }), "qwen3-asr-flash")
    assert.strictEqual(Models.route({ durationMs: 301_000 }), "qwen3-asr-flash-filetrans")
    assert.strictEqual(Models.route({ encodedBytes: 11 * 1024 * 1024 }), "qwen3-asr-flash-filetrans")
  })

  it("maps empty speech to empty text and a truncated answer to a warning", () => {
    const empty = SyncAnswer.fromCompatible({ choices: [{ message: { content: "" } }] })
    assert.strictEqual(empty.text, "")
    const none = SyncAnswer.fromNative({ output: { choices: [] } })
    assert.strictEqual(none.text, "")
    const cut = SyncAnswer.fromCompatible({ choices: [{ finish_reason: "length", message: { content: "abc" } }] })
    assert.isTrue(cut.truncated)
  })
})

layer(NodeContext.layer)("QwenAsrSync", (it) => {
  it.effect("sends a local file as a data URI with the sniffed MIME, and maps the answer", () =>
    Effect.gen(function*() {
      const body = compatOk("hello world")
      const { fake, transcriber } = yield* harness(
        { language_hints: ["en"] },
        () => FakeHttp.json(200, body, { "x-request-id": "req-42" })
      )
      const transcript: Transcript = yield* transcriber.transcribe(Audio.item(hello))
      const [request] = yield* fake.requests
      assert.strictEqual(request.url, "http://fake.test/compatible-mode/v1/chat/completions")
      const sent = request.body as any
      assert.deepStrictEqual(Object.keys(sent).sort(), ["asr_options", "messages", "model", "stream"])
      assert.deepStrictEqual(sent.asr_options, { language: "en" })
      const data: string = sent.messages[0].content[0].input_audio.data
      assert.isTrue(data.startsWith("data:audio/wav;base64,"))
      assert.deepStrictEqual(
        Buffer.from(data.slice("data:audio/wav;base64,".length), "base64"),
        fs.readFileSync(hello)
      )
      assert.strictEqual(transcript.text, "hello world")
      assert.strictEqual(transcript.language, "en")
      assert.strictEqual(transcript.emotion, "happy")
      assert.strictEqual(transcript.usageSeconds, 2)
      assert.strictEqual(transcript.requestId, "req-42")
      assert.strictEqual(transcript.status, "SUCCEEDED")
      assert.strictEqual(transcript.provider, "qwen")
      assert.strictEqual(transcript.model, "qwen3-asr-flash")
      assert.deepStrictEqual(transcript.raw, body)
      assert.deepStrictEqual(transcript.evidence[0].body, body)
      assert.deepStrictEqual(transcript.warnings, [])
    }))

  it.effect("sniffs the MIME from the bytes when the probe gave none", () =>
    Effect.gen(function*() {
      const flac = Audio.speech(dir, "sniff", "one two", "flac")
      const { fake, transcriber } = yield* harness({}, () => FakeHttp.json(200, compatOk("one two")))
      const probed = Audio.item(flac)
      const item = new AudioItem({ ...probed, mime: undefined, container: undefined })
      yield* transcriber.transcribe(item)
      const [request] = yield* fake.requests
      assert.isTrue((request.body as any).messages[0].content[0].input_audio.data.startsWith("data:audio/flac;base64,"))
    }))

  it.effect("passes URLs through, and asks the service to resolve oss:// URLs", () =>
    Effect.gen(function*() {
      const { fake, transcriber } = yield* harness({}, () => FakeHttp.json(200, compatOk("x")))
      yield* settle(transcriber.transcribe(urlItem("https://example.com/a.mp3", 3000)))
      yield* settle(transcriber.transcribe(urlItem("oss://dashscope-instant/k/a.mp3", 3000)))
      const [https, oss] = yield* fake.requests
      assert.strictEqual((https.body as any).messages[0].content[0].input_audio.data, "https://example.com/a.mp3")
      assert.isUndefined(https.headers["x-dashscope-ossresourceresolve"])
      assert.strictEqual(oss.headers["x-dashscope-ossresourceresolve"], "enable")
    }))

  it.effect("rejects a 6-minute file before sending, suggesting the filetrans model", () =>
    Effect.gen(function*() {
      const { fake, transcriber } = yield* harness({}, () => FakeHttp.json(200, compatOk("x")))
      const error = failureOf(yield* Effect.exit(transcriber.transcribe(Audio.item(sixMinutes))))
      assert.strictEqual(error.reason, "InvalidAudio")
      assert.include(error.message, "6m00s")
      assert.include(error.message, "5-minute limit")
      assert.include(error.message, "qwen3-asr-flash-filetrans")
      assert.strictEqual(yield* fake.count, 0)
    }))

  it.effect("rejects a data URI over 10 MB before reading the file", () =>
    Effect.gen(function*() {
      const { fake, transcriber } = yield* harness({}, () => FakeHttp.json(200, compatOk("x")))
      const item = new AudioItem({ ...Audio.item(hello), sizeBytes: 8 * 1024 * 1024, durationMs: 4000 })
      const error = failureOf(yield* Effect.exit(transcriber.transcribe(item)))
      assert.include(error.message, "over the 10.0 MB limit")
      assert.include(error.message, "filetrans")
      assert.strictEqual(yield* fake.count, 0)
    }))

  it.effect("streams by default over 60 s and assembles the chunks", () =>
    Effect.gen(function*() {
      const chunk = (delta: unknown, extra: Record<string, unknown> = {}) =>
        `data: ${
          JSON.stringify({
            id: "c",
            object: "chat.completion.chunk",
            usage: null,
            choices: [{ index: 0, delta }],
            ...extra
          })
        }\n\n`
      const annotations = [{ type: "audio_info", language: "en", emotion: "sad" }]
      const { fake, transcriber } = yield* harness({}, () =>
        FakeHttp.sse([
          chunk({ content: "", role: "assistant" }),
          chunk({ content: "long ", role: null, annotations }),
          chunk({ content: "speech", role: null, annotations }),
          `data: ${JSON.stringify({ id: "c", choices: [], usage: { seconds: 75 } })}\n\n`,
          "data: [DONE]\n\n"
        ]))
      const transcript = yield* transcriber.transcribe(urlItem("https://example.com/long.mp3", 75_000))
      const [request] = yield* fake.requests
      assert.strictEqual((request.body as any).stream, true)
      assert.deepStrictEqual((request.body as any).stream_options, { include_usage: true })
      assert.strictEqual(transcript.text, "long speech")
      assert.strictEqual(transcript.emotion, "sad")
      assert.strictEqual(transcript.usageSeconds, 75)
      assert.strictEqual((transcript.raw as Array<unknown>).length, 4)
    }))

  it.effect("uses the native endpoint for qwen-audio-asr, -us models and protocol: native", () =>
    Effect.gen(function*() {
      for (const fields of [{ model: "qwen-audio-asr" }, { model: "qwen3-asr-flash-us" }, { protocol: "native" }]) {
        const { fake, transcriber } = yield* harness(fields, () => FakeHttp.json(200, nativeOk("hi")))
        const transcript = yield* transcriber.transcribe(urlItem("https://example.com/a.wav", 2000))
        const [request] = yield* fake.requests
        assert.strictEqual(request.url, "http://fake.test/api/v1/services/aigc/multimodal-generation/generation")
        assert.strictEqual(transcript.text, "hi")
        assert.strictEqual(transcript.requestId, "native-req-1")
      }
    }))

  it.effect("streams natively with the SSE header and incremental output", () =>
    Effect.gen(function*() {
      const event = (text: string) =>
        `id:1\nevent:result\n:HTTP_STATUS/200\ndata:${
          JSON.stringify({ output: { choices: [{ message: { content: [{ text }] }, finish_reason: "null" }] } })
        }\n\n`
      const { fake, transcriber } = yield* harness({ protocol: "native", stream: true }, () =>
        FakeHttp.sse([event("a"), event("b")]))
      const transcript = yield* transcriber.transcribe(urlItem("https://example.com/a.wav", 2000))
      const [request] = yield* fake.requests
      assert.strictEqual(request.headers["x-dashscope-sse"], "enable")
      assert.strictEqual((request.body as any).parameters.incremental_output, true)
      assert.strictEqual(transcript.text, "ab")
    }))

  it.effect("refuses protocol: compatible for a native-only model", () =>
    Effect.gen(function*() {
      const { fake, transcriber } = yield* harness({ model: "qwen-audio-asr", protocol: "compatible" }, () =>
        FakeHttp.json(200, nativeOk("x")))
      const error = failureOf(yield* Effect.exit(transcriber.transcribe(urlItem("https://e/a.wav"))))
      assert.include(error.message, "no OpenAI-compatible mode")
      assert.strictEqual(yield* fake.count, 0)
    }))

  it.effect("puts the warnings in the transcript", () =>
    Effect.gen(function*() {
      const { transcriber } = yield* harness({ language_hints: ["zh", "en"], vocabulary_id: "v" }, () =>
        FakeHttp.json(200, compatOk("")))
      const transcript = yield* transcriber.transcribe(urlItem("https://e/a.wav", 1000))
      assert.strictEqual(transcript.text, "")
      assert.strictEqual(transcript.warnings.length, 2)
    }))

  it.effect("plans without network: route, cost and limit warnings", () =>
    Effect.gen(function*() {
      const { fake, transcriber } = yield* harness({ region: "ap-southeast-1" }, () => FakeHttp.json(200, {}))
      const plan = transcriber.plan(urlItem("https://e/a.wav", 100_000))
      assert.strictEqual(plan.route, "sync/compatible+stream")
      assert.strictEqual(plan.estimatedSeconds, 100)
      assert.deepStrictEqual(plan.estimatedCost, { amount: 100 * 0.000035, currency: "USD" })
      const tooLong = transcriber.plan(Audio.item(sixMinutes))
      assert.isTrue(tooLong.warnings.some((w) => w.includes("5-minute limit")))
      assert.strictEqual(yield* fake.count, 0)
      assert.strictEqual(
        transcriber.requestKey(urlItem("https://e/a.wav")),
        JSON.stringify({ model: "qwen3-asr-flash" })
      )
    }))

  describe("retries on the TestClock", () => {
    const policy = { attempts: 5, initial_backoff_ms: 1000, max_backoff_ms: 4000, jitter: false }

    it.effect("retries 500/503 with exponential backoff capped at max_backoff_ms", () =>
      Effect.gen(function*() {
        const { fake, transcriber } = yield* harness({ retry: policy }, (_, n) =>
          n <= 5
            ? FakeHttp.json(n % 2 ? 500 : 503, { code: n % 2 ? "InternalError" : "ModelUnavailable" })
            : FakeHttp.json(200, compatOk("ok")))
        const exit = yield* settle(transcriber.transcribe(urlItem("https://e/a.wav", 1000)))
        assert.isTrue(Exit.isSuccess(exit))
        const times = relative(yield* fake.requests)
        assert.deepStrictEqual(times, [0, 1000, 3000, 7000, 11000, 15000])
      }))

    it.effect("gives up after `attempts` retries", () =>
      Effect.gen(function*() {
        const { fake, transcriber } = yield* harness({ retry: { ...policy, attempts: 3 } }, () =>
          FakeHttp.json(503, { code: "ModelUnavailable" }))
        const error = failureOf(yield* settle(transcriber.transcribe(urlItem("https://e/a.wav", 1000))))
        assert.strictEqual(error.reason, "ServerError")
        assert.strictEqual(yield* fake.count, 4)
      }))

    it.effect("waits at least Retry-After", () =>
      Effect.gen(function*() {
        const { fake, transcriber } = yield* harness({ retry: policy }, (_, n) =>
          n === 1
            ? FakeHttp.json(429, { code: "Throttling", message: "Requests rate limit exceeded" }, {
              "retry-after": "20"
            })
            : FakeHttp.json(200, compatOk("ok")))
        const exit = yield* settle(transcriber.transcribe(urlItem("https://e/a.wav", 1000)))
        assert.isTrue(Exit.isSuccess(exit))
        assert.deepStrictEqual(relative(yield* fake.requests), [0, 20_000])
      }))

    it.effect("keeps jittered delays within 80–120 % of the backoff", () =>
      Effect.gen(function*() {
        const { fake, transcriber } = yield* harness({ retry: { ...policy, jitter: true } }, (_, n) =>
          n <= 3 ? FakeHttp.json(500, { code: "InternalError" }) : FakeHttp.json(200, compatOk("ok")))
        yield* settle(transcriber.transcribe(urlItem("https://e/a.wav", 1000)))
        const times = relative(yield* fake.requests)
        const gaps = times.slice(1).map((t, i) =>
          t - times[i]
        )
        assert.strictEqual(gaps.length, 3)
        gaps.forEach((gap, i) => {
          const base = Math.min(1000 * 2 ** i, 4000)
          assert.isAtLeast(gap, base * 0.8 - 1)
          assert.isAtMost(gap, base * 1.2 + 1)
        })
      }))

    const never: ReadonlyArray<[number, unknown]> = [
      [400, { code: "InvalidParameter" }],
      [401, { code: "InvalidApiKey" }],
      [403, { code: "AccessDenied" }],
      [404, { code: "ModelNotFound" }],
      [413, { code: "BadRequest.TooLarge" }],
      [415, { code: "BadRequest.UnsupportedFileFormat" }],
      [429, { code: "Throttling.AllocationQuota" }],
      [429, { error: { code: "insufficient_quota", message: "quota" } }]
    ]
    for (const [status, body] of never) {
      it.effect(`never retries ${status} ${JSON.stringify(body)}`, () =>
        Effect.gen(function*() {
          const { fake, transcriber } = yield* harness({ retry: policy }, () => FakeHttp.json(status, body))
          const exit = yield* settle(transcriber.transcribe(urlItem("https://e/a.wav", 1000)))
          assert.isTrue(Exit.isFailure(exit))
          assert.strictEqual(yield* fake.count, 1)
        }))
    }

    it.effect("retries 408 and 429 limit_requests", () =>
      Effect.gen(function*() {
        const { fake, transcriber } = yield* harness({ retry: policy }, (_, n) =>
          n === 1
            ? FakeHttp.json(408, { code: "RequestTimeOut" })
            : n === 2
            ? FakeHttp.json(429, { error: { code: "limit_requests", type: "limit_requests" } })
            : FakeHttp.json(200, compatOk("ok")))
        const exit = yield* settle(transcriber.transcribe(urlItem("https://e/a.wav", 1000)))
        assert.isTrue(Exit.isSuccess(exit))
        assert.strictEqual(yield* fake.count, 3)
      }))
  })

  it.effect("paces request starts per model at requests_per_minute across items", () =>
    Effect.gen(function*() {
      const { fake, transcriber } = yield* harness(
        { rate_limit: { requests_per_minute: 30 } },
        () => FakeHttp.json(200, compatOk("ok"))
      )
      const items = [1, 2, 3, 4].map((i) => urlItem(`https://e/${i}.wav`, 1000))
      const exit = yield* settle(Effect.forEach(items, transcriber.transcribe, { concurrency: "unbounded" }))
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(relative(yield* fake.requests), [0, 2000, 4000, 6000])
    }))

  it.effect("defaults the pace to the capability table's rpm", () =>
    Effect.gen(function*() {
      const { fake, transcriber } = yield* harness({}, () => FakeHttp.json(200, compatOk("ok")))
      const items = [1, 2, 3].map((i) => urlItem(`https://e/${i}.wav`, 1000))
      yield* settle(Effect.forEach(items, transcriber.transcribe, { concurrency: "unbounded" }))
      assert.deepStrictEqual(relative(yield* fake.requests), [0, 600, 1200])
    }))
})
