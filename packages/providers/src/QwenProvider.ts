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
import type { CommandExecutor, FileSystem, HttpClient, Path } from "@effect/platform"
import { Effect, Layer } from "effect"
import type { ConfigError } from "effect"
import * as Cancel from "./Cancel.js"
import * as Credentials from "./Credentials.js"
import * as DashScopeAccount from "./DashScopeAccount.js"
import * as DashScopeClient from "./DashScopeClient.js"
import * as Doctor from "./Doctor.js"
import * as LegacyLedger from "./LegacyLedger.js"
import * as Models from "./Models.js"
import * as QwenAsrAsync from "./QwenAsrAsync.js"
import * as QwenAsrSplit from "./QwenAsrSplit.js"
import * as QwenAsrSync from "./QwenAsrSync.js"
import { QwenConfig } from "./QwenConfig.js"
import * as QwenLongAudio from "./QwenLongAudio.js"
import * as QwenRequest from "./QwenRequest.js"

/** The folder under `OUTPUT_DIR` that a run writes to by default (the original skill's layout). */
const outputFolder = "aliyun-qwen-asr"

/** Fields only the Fun-ASR/Paraformer family has: a qwen config accepts them to warn, and never sends them. */
const funAsrOnly = [
  "diarization_enabled",
  "speaker_count",
  "timestamp_alignment_enabled",
  "special_word_filter"
] as const

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
    for (const field of funAsrOnly) {
      if (config[field] !== undefined) {
        warnings.push(
          `${prefix}${field} is a Fun-ASR/Paraformer option that ${model} cannot honour; it is not sent (use type: funasr)`
        )
      }
    }
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
  if (config.long_audio === "async" && Models.lookup(config.model)?.mode === "sync") {
    warnings.push(
      `long_audio: async needs model: auto or a filetrans model; ${config.model} rejects audio over its limits`
    )
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
    poll: DashScopeAccount.pollOf(request)
  }
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined))
}

/**
 * The `Transcriber` over an existing `DashScopeClient`, with its lanes in the run's `RateController` (or
 * one of its own outside a run): each item takes the route `QwenLongAudio` gives it: whole to
 * `QwenAsrSync`, to `QwenAsrAsync` (filetrans, `async: true`, long audio by `long_audio`), or in chunks
 * through `QwenAsrSplit`. `submit` returns a sync or split item's
 * finished transcript (it has nothing to wait for) and an async item's PENDING one.
 */
const layerTranscriber = (config: QwenConfig): Layer.Layer<
  Transcriber,
  never,
  | DashScopeClient.DashScopeClient
  | FileSystem.FileSystem
  | Path.Path
  | CommandExecutor.CommandExecutor
> =>
  Layer.effect(
    Transcriber,
    Effect.gen(function*() {
      // one controller for every path, so that a lane is one budget
      const controller = yield* RateController.fromContext
      const sync = yield* QwenAsrSync.make(config).pipe(
        Effect.provideService(RateController.RateController, controller)
      )
      const async = yield* QwenAsrAsync.make(config).pipe(
        Effect.provideService(RateController.RateController, controller)
      )
      const split = yield* QwenAsrSplit.make(config, sync)
      const routed = (item: AudioItem) => {
        const route = QwenLongAudio.routeOf(config, item)
        return route === "decide"
          ? QwenLongAudio.choose(config, item).pipe(Effect.provideService(RateController.RateController, controller))
          : Effect.succeed(route)
      }
      // a filetrans model told to split sends its short items whole to the sync model
      const whole = (item: AudioItem) =>
        sync.transcribeWith(
          item,
          QwenRequest.isAsync(config, item) ? QwenLongAudio.syncModelFor(config, item) : undefined
        )
      const run = (item: AudioItem, mode: "wait" | "submit") =>
        Effect.flatMap(routed(item), (route) =>
          route === "async"
            ? (mode === "wait" ? async.transcribe(item) : async.submit(item))
            : route === "split"
            ? split.transcribe(item)
            : whole(item))
      return Transcriber.of({
        provider: "qwen",
        transcribe: (item) => run(item, "wait"),
        submit: (item) => run(item, "submit"),
        attach: async.attach,
        retry: config.retry,
        plan: (item) => {
          const route = QwenLongAudio.routeOf(config, item)
          return route === "async"
            ? async.plan(item)
            : route === "split" || route === "decide"
            ? QwenLongAudio.plan(config, item, route)
            : sync.plan(item)
        },
        requestKey: (item) => QwenLongAudio.requestKey(config, item)
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
): Layer.Layer<
  Transcriber,
  ConfigError.ConfigError,
  HttpClient.HttpClient | FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor
> =>
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
  HttpClient.HttpClient | FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor
> => Layer.unwrapEffect(Effect.map(Credentials.spec.resolve(), (credentials) => layer(config, credentials)))

/**
 * The registry descriptor.
 *
 * @since 0.1.0
 * @category components
 */
export const component: ProviderComponent<
  QwenConfig,
  HttpClient.HttpClient | FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor
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
  emulator: DashScopeAccount.emulator
}
