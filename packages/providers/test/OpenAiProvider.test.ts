import { RateLimit } from "@asrflow/core/Policies"
import { FileSystem, HttpClient } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Redacted, Ref, TestClock } from "effect"
import * as OpenAiClient from "../src/OpenAiClient.js"
import * as OpenAiConfig from "../src/OpenAiConfig.js"
import * as OpenAiProvider from "../src/OpenAiProvider.js"
import * as OpenAiRateLimits from "../src/OpenAiRateLimits.js"
import * as OpenAiResponse from "../src/OpenAiResponse.js"

const config = (fields: Record<string, unknown> = {}) => OpenAiConfig.decode({ type: "openai", ...fields })

describe("OpenAiResponse", () => {
  it.effect("maps verbose_json segments to sentences and places each word in its segment", () =>
    Effect.gen(function*() {
      const body = {
        task: "transcribe",
        language: "english",
        duration: 4.2,
        text: "Hello there. General Kenobi!",
        segments: [
          { id: 0, seek: 0, start: 0, end: 1.5, text: " Hello there.", tokens: [], temperature: 0 },
          { id: 1, seek: 0, start: 1.8, end: 4.1, text: " General Kenobi!", tokens: [], temperature: 0 }
        ],
        // the API's words carry no punctuation: it comes from the segment's text
        words: [
          { word: "Hello", start: 0.1, end: 0.6 },
          { word: "there", start: 0.7, end: 1.4 },
          { word: "General", start: 1.9, end: 2.8 },
          { word: "Kenobi", start: 2.9, end: 4.0 }
        ]
      }
      const transcript = yield* OpenAiResponse.toTranscript("verbose_json", JSON.stringify(body), {
        model: "whisper-1",
        input: "a.wav",
        warnings: []
      })
      assert.strictEqual(transcript.language, "en")
      assert.strictEqual(transcript.durationMs, 4200)
      assert.strictEqual(transcript.usageSeconds, 5)
      assert.deepStrictEqual(
        transcript.sentences.map((s) => [s.beginMs, s.endMs, s.text, s.words?.map((w) => w.text + w.punctuation)]),
        [[0, 1500, "Hello there.", ["Hello", "there."]], [1800, 4100, "General Kenobi!", ["General", "Kenobi!"]]]
      )
      assert.strictEqual(transcript.sentences[0]!.words![1]!.punctuation, ".")
    }))

  it.effect("json and text answers give the text without timestamps", () =>
    Effect.gen(function*() {
      const params = { model: "whisper-1", input: "a.wav", warnings: [] }
      const json = yield* OpenAiResponse.toTranscript("json", "{\"text\":\"Hi.\"}", params)
      const text = yield* OpenAiResponse.toTranscript("text", "Hi.\n", params)
      assert.deepStrictEqual([json.text, json.sentences.length, text.text, text.sentences.length], ["Hi.", 0, "Hi.", 0])
    }))
})

describe("OpenAiClient.failure", () => {
  it("maps the error envelope, quota, and Retry-After in ms and seconds", () => {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
      status,
      headers,
      text: JSON.stringify(body)
    })
    const limited = OpenAiClient.failure(
      answer(429, { error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } }, {
        "retry-after": "3"
      }),
      "a.wav",
      0
    )
    assert.deepStrictEqual([limited.reason, limited.retryAfterMs, limited.isRetryable], ["Throttled", 3000, true])
    const precise = OpenAiClient.failure(answer(429, {}, { "retry-after-ms": "250", "retry-after": "1" }), "a", 0)
    assert.strictEqual(precise.retryAfterMs, 250)
    const quota = OpenAiClient.failure(answer(429, { error: { code: "insufficient_quota", message: "pay" } }), "a", 0)
    assert.deepStrictEqual([quota.reason, quota.isRetryable], ["QuotaExhausted", false])
    const key = OpenAiClient.failure(answer(401, { error: { code: "invalid_api_key", message: "bad key" } }), "a", 0)
    assert.strictEqual(key.reason, "Unauthorized")
    assert.include(key.message, "OPENAI_API_KEY")
  })
})

describe("OpenAiClient requests", () => {
  it.effect("maps a request that outlives its time limit to a retryable Timeout", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const silent = HttpClient.make(() => Effect.never)
      const client = OpenAiClient.make({
        client: silent,
        fs,
        baseUrl: "http://127.0.0.1:9/v1",
        apiKey: Redacted.make("sk-test-timeout"),
        timeoutMs: 5_000
      })
      const upload = {
        file: "a.wav",
        fields: [],
        fileName: "a.wav",
        fileType: "audio/wav",
        fileSize: 4,
        bytes: new Uint8Array(4)
      }
      const fiber = yield* Effect.fork(Effect.flip(client.transcribe(upload, "a.wav")))
      yield* TestClock.adjust("4 seconds")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.deepStrictEqual([error.reason, error.isRetryable, error.input], ["Timeout", true, "a.wav"])
      assert.include(error.message, "5000 ms")
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})

describe("OpenAiRateLimits", () => {
  it("reads x-ratelimit-reset-* durations", () => {
    assert.deepStrictEqual(
      ["1s", "6m0s", "1.5s", "120ms", "1h2m3s", "soon"].map(OpenAiRateLimits.parseReset),
      [1000, 360_000, 1500, 120, 3_723_000, undefined]
    )
  })

  it.effect("starts in the model's lane, and holds a start while the budget is spent until it resets", () =>
    Effect.gen(function*() {
      const laneOf = yield* OpenAiRateLimits.lanes(
        { baseUrl: "http://127.0.0.1:9/v1", account: "0123456789abcdef" },
        new RateLimit({ requests_per_minute: 6000, adaptive: false })
      )
      const lane = yield* laneOf("whisper-1")
      assert.deepStrictEqual(lane.key, {
        provider: "openai",
        account: "0123456789abcdef",
        region: "127.0.0.1:9",
        model: "whisper-1",
        endpoint: "transcriptions"
      })
      const control = yield* OpenAiRateLimits.make(laneOf)
      const started = yield* Ref.make(0)
      const request = Ref.update(started, (n) => n + 1)
      yield* control.paced("whisper-1", request)
      assert.strictEqual(yield* Ref.get(started), 1)
      yield* control.observe({
        "x-ratelimit-limit-requests": "50",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "2s"
      })
      const start = yield* Effect.fork(control.paced("whisper-1", request))
      yield* TestClock.adjust("1999 millis")
      assert.strictEqual(yield* Ref.get(started), 1)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(start)
      assert.strictEqual(yield* Ref.get(started), 2)
    }))
})

describe("the openai component", () => {
  it("warns about fields the API has no place for, naming the field and the model", () => {
    assert.deepStrictEqual(
      OpenAiProvider.component.check(
        config({ model: "whisper-large-v3", enable_itn: true, diarization_enabled: true })
      ),
      [
        "enable_itn is not an OpenAI transcription field; whisper-large-v3 cannot honour it, and it is not sent",
        "diarization_enabled is not an OpenAI transcription field; whisper-large-v3 cannot honour it, and it is not sent"
      ]
    )
    assert.deepStrictEqual(
      OpenAiProvider.component.check(config({ response_format: "json", timestamp_granularities: ["word"] })),
      [
        "timestamp_granularities needs response_format: verbose_json; with json it is not sent"
      ]
    )
  })

  it("points --emulator at the emulator's /v1 with its key", () => {
    assert.deepStrictEqual([...OpenAiProvider.component.emulator!({ origin: "http://127.0.0.1:9", apiKey: "sk-e" })], [
      ["OPENAI_API_KEY", "sk-e"],
      ["OPENAI_BASE_URL", "http://127.0.0.1:9/v1"]
    ])
  })
})
