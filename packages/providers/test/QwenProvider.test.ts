import { AudioItem, ItemOverrides } from "@asrflow/core/AudioItem"
import { CredentialsError } from "@asrflow/core/Credentials"
import { Transcriber } from "@asrflow/core/Transcriber"
import { FileSystem, HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer, Redacted, Schema } from "effect"
import * as Providers from "../src/Providers.js"
import * as QwenConfig from "../src/QwenConfig.js"
import * as QwenProvider from "../src/QwenProvider.js"
import * as QwenRequest from "../src/QwenRequest.js"

const config = (fields: Record<string, unknown> = {}) => QwenConfig.decode({ type: "qwen", ...fields })

const urlItem = (durationMs: number, overrides?: AudioItem["overrides"]) =>
  new AudioItem({
    id: "u",
    source: "https://example.com/a.mp3",
    kind: "url",
    outputKey: "a",
    origin: "test",
    durationMs,
    ...(overrides !== undefined ? { overrides } : {})
  })

const noHttp = Layer.succeed(
  HttpClient.HttpClient,
  HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response("{}", { status: 500 }))))
)

describe("QwenProvider.check", () => {
  it("has no warnings for the quickstart-style config", () => {
    assert.deepStrictEqual(
      QwenProvider.component.check(config({ language_hints: ["zh"], context: "Glossary", enable_itn: true })),
      []
    )
  })

  it("warns about async: true with a sync model", () => {
    const warnings = QwenProvider.component.check(config({ async: true }))
    assert.isTrue(warnings.some((w) => w.includes("async: true needs an async model")))
  })

  it("warns about protocol: compatible where it does not exist", () => {
    assert.isTrue(
      QwenProvider.component.check(config({ model: "qwen-audio-asr", protocol: "compatible" })).some((w) =>
        w.includes("no OpenAI-compatible mode")
      )
    )
    assert.isTrue(
      QwenProvider.component.check(config({ model: "qwen3-asr-flash-us", region: "us-east-1", protocol: "compatible" }))
        .some((
          w
        ) => w.includes("no OpenAI-compatible"))
    )
  })

  it("warns about non -us models in us-east-1 and qwen-audio-asr outside Beijing", () => {
    assert.isTrue(
      QwenProvider.component.check(config({ region: "us-east-1" })).some((w) => w.includes("-us model variants"))
    )
    assert.isTrue(
      QwenProvider.component.check(config({ model: "qwen-audio-asr", region: "ap-southeast-1" })).some((w) =>
        w.includes("cn-beijing only")
      )
    )
  })

  it("checks both routes of model: auto", () => {
    const warnings = QwenProvider.component.check(
      config({ model: "auto", timestamp_granularities: ["word"], context: "x" })
    )
    assert.isTrue(warnings.some((w) => w.startsWith("model: auto → qwen3-asr-flash: ") && w.includes("timestamps")))
    assert.isTrue(
      warnings.some((w) => w.startsWith("model: auto → qwen3-asr-flash-filetrans: ") && w.includes("context"))
    )
  })
})

describe("QwenProvider routing", () => {
  it("sends filetrans models, async: true and long auto audio to the async path", () => {
    assert.isFalse(QwenRequest.isAsync(config(), urlItem(10_000)))
    assert.isTrue(QwenRequest.isAsync(config({ model: "qwen3-asr-flash-filetrans-2025-11-17" }), urlItem(10_000)))
    assert.isTrue(QwenRequest.isAsync(config({ model: "auto" }), urlItem(301_000)))
    assert.isFalse(QwenRequest.isAsync(config({ model: "auto" }), urlItem(299_000)))
    assert.isTrue(QwenRequest.isAsync(config({ model: "auto", async: true }), urlItem(1000)))
    assert.isTrue(
      QwenRequest.isAsync(config(), urlItem(1000, new ItemOverrides({ model: "qwen3-asr-flash-filetrans" })))
    )
  })
})

describe("Providers.registry", () => {
  it("registers qwen, whose config decodes the documented example and rejects unknown keys", () => {
    assert.deepStrictEqual(Providers.registry.types, ["qwen", "funasr", "openai"])
    const component = Providers.registry.get("qwen")!
    const decode = Schema.decodeUnknownEither(component.config as Schema.Schema<unknown>, {
      errors: "all",
      onExcessProperty: "error"
    })
    const example = {
      type: "qwen",
      model: "auto",
      region: "cn-beijing",
      language_hints: ["zh"],
      context: "Glossary: DashScope, Effect, asrflow",
      enable_itn: true,
      timestamp_granularities: ["sentence", "word"],
      rate_limit: { requests_per_minute: 100 },
      poll: { initial_interval_ms: 5000, max_interval_ms: 20000, timeout_secs: 43200 },
      retry: { attempts: 6, initial_backoff_ms: 1000, max_backoff_ms: 60000, jitter: true }
    }
    assert.isTrue(Either.isRight(decode(example)))
    assert.isTrue(Either.isLeft(decode({ ...example, language: "zh" })))
    assert.isTrue(Either.isLeft(decode({ ...example, model: "whisper-1" })))
  })

  it("takes rate_limit as auto (the default), a told limit, a pinned one, or a cap", () => {
    const component = Providers.registry.get("qwen")!
    const decode = Schema.decodeUnknownEither(
      component.config as Schema.Schema<QwenConfig.QwenConfig, unknown>,
      { errors: "all", onExcessProperty: "error" }
    )
    const rateLimitOf = (raw: Record<string, unknown>) =>
      Either.map(decode({ type: "qwen", ...raw }), (config) => config.rate_limit)
    assert.deepStrictEqual(rateLimitOf({}), Either.right("auto"))
    assert.deepStrictEqual(rateLimitOf({ rate_limit: "auto" }), Either.right("auto"))
    for (
      const block of [
        { requests_per_minute: 600 },
        { requests_per_minute: 600, adaptive: false },
        { max_requests_per_minute: 2000 }
      ]
    ) assert.isTrue(Either.isRight(rateLimitOf({ rate_limit: block })), JSON.stringify(block))
    assert.isTrue(Either.isLeft(rateLimitOf({ rate_limit: "fast" })))
    assert.isTrue(Either.isLeft(rateLimitOf({ rate_limit: { requests_per_minute: 0 } })))
    assert.isTrue(Either.isLeft(rateLimitOf({ rate_limit: { rpm: 600 } })))
  })
})

layer(NodeContext.layer)("QwenProvider.component", (it) => {
  it.scoped("fails with one Missing credentials error naming the four places, before any layer is built", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const home = yield* fs.makeTempDirectoryScoped()
      const result = yield* Effect.either(QwenProvider.component.credentials.resolve()).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["HOME", home]]))),
        Effect.provide(noHttp)
      )
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.instanceOf(result.left, CredentialsError)
        assert.strictEqual(result.left.reason, "Missing")
        assert.strictEqual(result.left.provider, "qwen")
        for (const place of ["DASHSCOPE_API_KEY", "~/.alibabacloud/credentials", "~/.dashscope/api_key"]) {
          assert.include(result.left.message, place)
        }
      }
    }))

  it.effect("builds a Transcriber whose async route fails clearly until the filetrans transcriber is plugged in", () =>
    Effect.gen(function*() {
      const transcriber = yield* Transcriber
      const plan = transcriber.plan(urlItem(600_000))
      assert.strictEqual(plan.model, "qwen3-asr-flash-filetrans")
      assert.strictEqual(plan.route.startsWith("async"), true)
      assert.strictEqual(transcriber.plan(urlItem(1000)).route, "sync/compatible")
    }).pipe(
      Effect.provide(
        QwenProvider.component.layer(config({ model: "auto" }), {
          key: Redacted.make("sk-test-key-123"),
          source: "option"
        })
      ),
      Effect.provide(noHttp)
    ))
})

describe("QwenProvider one-shot mapping and emulator overlay", () => {
  it("maps the seed flags onto a qwen block that the config decodes, with the provider's defaults", () => {
    const raw = QwenProvider.component.fromRequest({
      language_hints: ["en"],
      timestamp_granularities: ["word"],
      async: true,
      region: "ap-southeast-1",
      poll_interval_secs: 2,
      max_waits: 30
    })
    assert.deepStrictEqual(raw, {
      type: "qwen",
      region: "ap-southeast-1",
      language_hints: ["en"],
      timestamp_granularities: ["word"],
      async: true,
      poll: { initial_interval_ms: 2000, max_interval_ms: 2000, timeout_secs: 60 }
    })
    const decoded = QwenConfig.decode(raw)
    assert.strictEqual(decoded.model, "qwen3-asr-flash")
    assert.strictEqual(decoded.poll.timeout_secs, 60)
    assert.deepStrictEqual(QwenProvider.component.fromRequest({}), { type: "qwen" })
  })

  it("points the DashScope variables at the emulator's origin", () => {
    const overlay = QwenProvider.component.emulator!({ origin: "http://127.0.0.1:4000", apiKey: "sk-emulated-key" })
    assert.deepStrictEqual(Object.fromEntries(overlay), {
      DASHSCOPE_API_KEY: "sk-emulated-key",
      DASHSCOPE_HTTP_BASE_URL: "http://127.0.0.1:4000/api/v1",
      DASHSCOPE_COMPATIBLE_BASE_URL: "http://127.0.0.1:4000/compatible-mode/v1"
    })
    assert.strictEqual(QwenProvider.component.outputFolder, "aliyun-qwen-asr")
  })
})
