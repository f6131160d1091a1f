/**
 * The `qwen` provider component: its config, its validate-time warnings, and the layer that builds the
 * `Transcriber` (routing each item to the sync or the async Qwen transcriber).
 *
 * @since 0.1.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import type { ProviderComponent } from "@asrflow/core/Component"
import { Transcriber, TranscriptionError } from "@asrflow/core/Transcriber"
import type { FileSystem, HttpClient, Path } from "@effect/platform"
import { Effect, Layer } from "effect"
import type { ConfigError, Redacted } from "effect"
import * as Credentials from "./Credentials.js"
import * as DashScopeClient from "./DashScopeClient.js"
import * as Models from "./Models.js"
import * as QwenAsrAsync from "./QwenAsrAsync.js"
import * as QwenAsrSync from "./QwenAsrSync.js"
import { QwenConfig } from "./QwenConfig.js"
import * as RateLimiter from "./RateLimiter.js"

/**
 * The provider config schema (`provider: {type: qwen, …}`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Config = QwenConfig

/**
 * @since 0.1.0
 * @category schemas
 */
export type Config = QwenConfig

// =============================================================================
// Routing
// =============================================================================

/**
 * Whether an item takes the async path: `async: true`, or a model (explicit or chosen by `auto`) whose
 * family is async.
 *
 * @since 0.1.0
 * @category utils
 */
export const isAsync = (config: QwenConfig, item: AudioItem): boolean => {
  const request = QwenAsrSync.effectiveRequest(config, item)
  if (config.async === true) return true
  return Models.lookup(QwenAsrSync.modelFor(request, item))?.mode === "async"
}

/**
 * The warnings `validate` shows for a config: fields the model cannot honour, and impossible combinations.
 *
 * @since 0.1.0
 * @category utils
 */
export const check = (config: QwenConfig): ReadonlyArray<string> => {
  const request = QwenAsrSync.effectiveRequest(config, {})
  const models = config.model === "auto"
    ? (config.async === true ? [Models.auto.async] : [Models.auto.sync, Models.auto.async])
    : [config.model]
  const warnings: Array<string> = []
  for (const model of models) {
    const capability = Models.lookup(model)
    if (capability === undefined) {
      warnings.push(`unknown model ${model}`)
      continue
    }
    const prefix = config.model === "auto" ? `model: auto → ${model}: ` : ""
    for (const warning of QwenAsrSync.warningsFor(capability, model, request)) warnings.push(prefix + warning)
    if (config.async === true && capability.mode === "sync") {
      warnings.push(`async: true needs an async model, but ${model} is sync; use ${Models.auto.async} or model: auto`)
    }
    if (capability.mode === "sync" && config.protocol === "compatible") {
      if (!capability.protocols.includes("compatible")) {
        warnings.push(`${model} has no OpenAI-compatible mode; protocol: compatible will fail, use native`)
      } else if (config.region === "us-east-1" && config.base_url?.compatible === undefined) {
        warnings.push("us-east-1 has no OpenAI-compatible endpoint; protocol: compatible will fail, use native")
      }
    }
  }
  if (config.model !== "auto" && config.region === "us-east-1" && !Models.isUsVariant(config.model)) {
    warnings.push(`us-east-1 serves the -us model variants (e.g. qwen3-asr-flash-us), not ${config.model}`)
  }
  if (config.model.startsWith("qwen-audio-asr") && config.region !== "cn-beijing") {
    warnings.push("qwen-audio-asr is listed for cn-beijing only")
  }
  return [...new Set(warnings)]
}

// =============================================================================
// Routing: sync items go to QwenAsrSync, async ones (filetrans, `async: true`, long `auto`) to QwenAsrAsync
// =============================================================================

/**
 * Turns a missing key into the `TranscriptionError` the provider layer may fail with (reason
 * `Unauthorized`, code `MissingApiKey`, so the CLI exits with code 3 and prints the message once).
 *
 * @since 0.1.0
 * @category errors
 */
export const missingKey = (error: Credentials.MissingApiKeyError): TranscriptionError =>
  new TranscriptionError({
    provider: "qwen",
    input: "credentials",
    reason: "Unauthorized",
    code: "MissingApiKey",
    description: error.message,
    cause: error
  })

/**
 * The DashScope client for a config: the key from `Credentials` (or `options.apiKey`), base URLs from
 * `base_url`, then the environment, then the region preset.
 *
 * @since 0.1.0
 * @category layers
 */
export const clientLayer = (
  config: QwenConfig,
  options: { readonly apiKey?: Redacted.Redacted<string> | string | undefined } = {}
): Layer.Layer<
  DashScopeClient.DashScopeClient,
  TranscriptionError | ConfigError.ConfigError,
  HttpClient.HttpClient | FileSystem.FileSystem | Path.Path
> =>
  Layer.effect(
    DashScopeClient.DashScopeClient,
    Effect.gen(function*() {
      const resolved = yield* Credentials.resolveApiKey(options.apiKey).pipe(Effect.mapError(missingKey))
      yield* Effect.logDebug(`DashScope API key from ${resolved.source}`)
      const env = yield* DashScopeClient.envBaseUrls
      return yield* DashScopeClient.make({
        apiKey: resolved.key,
        region: config.region,
        workspace: config.workspace,
        httpBaseUrl: config.base_url?.native ?? env.httpBaseUrl,
        compatibleBaseUrl: config.base_url?.compatible ??
          (config.base_url?.native !== undefined ? undefined : env.compatibleBaseUrl),
        timeoutMs: config.timeout_secs * 1000
      })
    })
  )

/**
 * The `Transcriber` over an existing `DashScopeClient` and `RateLimiter` (share them across providers).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTranscriber = (config: QwenConfig): Layer.Layer<
  Transcriber,
  never,
  DashScopeClient.DashScopeClient | RateLimiter.RateLimiter | FileSystem.FileSystem | Path.Path
> =>
  Layer.effect(
    Transcriber,
    Effect.gen(function*() {
      const sync = yield* QwenAsrSync.make(config)
      const async = yield* QwenAsrAsync.make(config)
      const pick = (item: AudioItem) => isAsync(config, item) ? async : sync
      return Transcriber.of({
        provider: "qwen",
        transcribe: (item) => pick(item).transcribe(item),
        plan: (item) => pick(item).plan(item),
        requestKey: (item) => pick(item).requestKey(item)
      })
    })
  )

/**
 * The whole provider: client, one run-wide rate limiter, and the transcriber. `options.apiKey` is the
 * explicit key (the library's `api_key`); without it the key comes from the environment or the credential files.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (
  config: QwenConfig,
  options: { readonly apiKey?: Redacted.Redacted<string> | string | undefined } = {}
): Layer.Layer<
  Transcriber,
  TranscriptionError | ConfigError.ConfigError,
  HttpClient.HttpClient | FileSystem.FileSystem | Path.Path
> =>
  layerTranscriber(config).pipe(
    Layer.provide(Layer.mergeAll(clientLayer(config, options), RateLimiter.layer))
  )

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: QwenConfig) => layerWith(config)

/**
 * The registry descriptor.
 *
 * @since 0.1.0
 * @category components
 */
export const component: ProviderComponent<
  QwenConfig,
  HttpClient.HttpClient | FileSystem.FileSystem | Path.Path
> = {
  kind: "provider",
  type: "qwen",
  description: "Alibaba Cloud Qwen ASR: sync qwen3-asr-flash / qwen-audio-asr, async qwen3-asr-flash-filetrans",
  config: QwenConfig,
  check,
  layer
}
