/**
 * The `qwen` provider plugin: everything Qwen-shaped that `run`, `transcribe`, `validate`, `doctor` and
 * `cancel` reach through the core `ProviderComponent` contract: its config, its default output folder,
 * its credentials, its validate-time warnings, the one-shot request mapping, the transcriber layer
 * (routing each item to the sync or the async Qwen transcriber), the doctor check, cancel, its ledger
 * migrations and the `--emulator` overlay.
 *
 * @since 0.1.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import type { ProviderComponent } from "@asrflow/core/Component"
import type * as CoreCredentials from "@asrflow/core/Credentials"
import * as RateController from "@asrflow/core/RateController"
import { Transcriber } from "@asrflow/core/Transcriber"
import type { RequestOptions } from "@asrflow/core/TranscribeRequest"
import type { FileSystem, HttpClient, Path } from "@effect/platform"
import { Effect, Layer } from "effect"
import type { ConfigError } from "effect"
import * as Cancel from "./Cancel.js"
import * as Credentials from "./Credentials.js"
import * as DashScopeClient from "./DashScopeClient.js"
import * as Doctor from "./Doctor.js"
import * as LegacyLedger from "./LegacyLedger.js"
import * as Models from "./Models.js"
import * as QwenAsrAsync from "./QwenAsrAsync.js"
import * as QwenAsrSync from "./QwenAsrSync.js"
import { QwenConfig } from "./QwenConfig.js"
import * as QwenRequest from "./QwenRequest.js"

/** The folder under `OUTPUT_DIR` that a run writes to by default (the original skill's layout). */
const outputFolder = "aliyun-qwen-asr"

/**
 * The warnings `validate` shows for a config: fields the model cannot honour, and impossible combinations.
 */
const check = (config: QwenConfig): ReadonlyArray<string> => {
  const request = QwenRequest.effectiveRequest(config, {})
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
    for (const warning of QwenRequest.warningsFor(capability, model, request)) warnings.push(prefix + warning)
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

/**
 * The raw `provider:` block of a one-shot request (`asrflow transcribe`, the Promise `transcribe()`): the
 * seed's flags under their config names, the poll interval and the number of waits as a `poll` block.
 * Omitted fields take the config's defaults (model `qwen3-asr-flash`, region `cn-beijing`).
 */
const fromRequest = (request: RequestOptions): Record<string, unknown> => {
  const interval = request.poll_interval_secs
  const poll = interval === undefined ? undefined : {
    initial_interval_ms: interval * 1000,
    max_interval_ms: interval * 1000,
    ...(request.max_waits === undefined ? {} : { timeout_secs: interval * request.max_waits })
  }
  const raw: Record<string, unknown> = {
    type: "qwen",
    model: request.model,
    region: request.region,
    language_hints: request.language_hints,
    sample_rate: request.sample_rate,
    vocabulary_id: request.vocabulary_id,
    disfluency_removal_enabled: request.disfluency_removal_enabled,
    timestamp_granularities: request.timestamp_granularities,
    async: request.async,
    context: request.context,
    enable_itn: request.enable_itn,
    channel_id: request.channel_id,
    poll
  }
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined))
}

/**
 * The `Transcriber` over an existing `DashScopeClient`, with its lanes in the run's `RateController` (or
 * one of its own outside a run): sync items go to `QwenAsrSync`,
 * async ones (filetrans, `async: true`, long `auto` audio) to `QwenAsrAsync`. `submit` returns a sync item's
 * finished transcript (it has nothing to wait for) and an async item's PENDING one.
 */
const layerTranscriber = (config: QwenConfig): Layer.Layer<
  Transcriber,
  never,
  DashScopeClient.DashScopeClient | FileSystem.FileSystem | Path.Path
> =>
  Layer.effect(
    Transcriber,
    Effect.gen(function*() {
      // one controller for both paths, so that a lane is one budget
      const controller = yield* RateController.fromContext
      const sync = yield* QwenAsrSync.make(config).pipe(
        Effect.provideService(RateController.RateController, controller)
      )
      const async = yield* QwenAsrAsync.make(config).pipe(
        Effect.provideService(RateController.RateController, controller)
      )
      const isAsync = (item: AudioItem) => QwenRequest.isAsync(config, item)
      return Transcriber.of({
        provider: "qwen",
        transcribe: (item) => isAsync(item) ? async.transcribe(item) : sync.transcribe(item),
        submit: (item) => isAsync(item) ? async.submit(item) : sync.transcribe(item),
        attach: async.attach,
        retry: config.retry,
        plan: (item) => isAsync(item) ? async.plan(item) : sync.plan(item),
        requestKey: (item) => QwenRequest.requestKey(config, item)
      })
    })
  )

/**
 * The whole provider for a run: the client (with the resolved key) and the transcriber.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: QwenConfig,
  credentials: CoreCredentials.Resolved
): Layer.Layer<Transcriber, ConfigError.ConfigError, HttpClient.HttpClient | FileSystem.FileSystem | Path.Path> =>
  layerTranscriber(config).pipe(
    Layer.provide(Layer.effect(DashScopeClient.DashScopeClient, DashScopeClient.fromConfig(config, credentials.key)))
  )

/**
 * The whole provider with the key found where `credentials` looks (DASHSCOPE_API_KEY, the credentials
 * files), for library users who compose layers themselves.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  config: QwenConfig
): Layer.Layer<
  Transcriber,
  ConfigError.ConfigError | CoreCredentials.CredentialsError,
  HttpClient.HttpClient | FileSystem.FileSystem | Path.Path
> => Layer.unwrapEffect(Effect.map(Credentials.spec.resolve(), (credentials) => layer(config, credentials)))

/** The variables that point the provider at an `@asrflow/emulator` (`--emulator`). */
const emulator = (endpoint: { readonly origin: string; readonly apiKey: string }): ReadonlyMap<string, string> =>
  new Map([
    ["DASHSCOPE_API_KEY", endpoint.apiKey],
    ["DASHSCOPE_HTTP_BASE_URL", `${endpoint.origin}/api/v1`],
    ["DASHSCOPE_COMPATIBLE_BASE_URL", `${endpoint.origin}/compatible-mode/v1`]
  ])

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
  outputFolder,
  credentials: Credentials.spec,
  check,
  fromRequest,
  layer,
  doctor: Doctor.run,
  cancel: Cancel.run,
  migrations: LegacyLedger.migrations,
  emulator
}
