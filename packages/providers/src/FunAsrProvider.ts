/**
 * The `funasr` provider plugin: DashScope's Fun-ASR and Paraformer file transcription (`fun-asr*`,
 * `paraformer-v2`, `paraformer-8k-v2` and their snapshots) on the batched task API, with speaker labels and hotword
 * vocabularies. It shares the account, key, client, temporary upload, task poller, doctor and cancel with `qwen`
 * (`DashScopeAccount`); it has a capability table of its own (`FunAsrModels`) and a batching transcriber
 * (`FunAsrTranscriber`).
 *
 * @since 0.2.0
 */
import type { ProviderComponent } from "@asrflow/core/Component"
import type * as CoreCredentials from "@asrflow/core/Credentials"
import { Transcriber } from "@asrflow/core/Transcriber"
import type { RequestOptions } from "@asrflow/core/TranscribeRequest"
import type { FileSystem, HttpClient, Path } from "@effect/platform"
import { Effect, Layer } from "effect"
import type { ConfigError } from "effect"
import * as BatchJournal from "./BatchJournal.js"
import * as Cancel from "./Cancel.js"
import * as Credentials from "./Credentials.js"
import * as DashScopeAccount from "./DashScopeAccount.js"
import * as DashScopeClient from "./DashScopeClient.js"
import * as Doctor from "./Doctor.js"
import { FunAsrConfig } from "./FunAsrConfig.js"
import * as FunAsrModels from "./FunAsrModels.js"
import * as FunAsrRequest from "./FunAsrRequest.js"
import * as FunAsrTranscriber from "./FunAsrTranscriber.js"

/**
 * The warnings `validate` and `transcribe` show: fields the model cannot honour, the region, batch sizing.
 *
 * @since 0.2.0
 * @category utils
 */
export const check = (config: FunAsrConfig): ReadonlyArray<string> => {
  const warnings = FunAsrRequest.warningsFor(FunAsrRequest.effectiveRequest(config, {}))
  const capability = FunAsrModels.lookup(config.model)
  if (capability !== undefined && !capability.regions.includes(config.region)) {
    warnings.push(`${config.model} is listed for ${capability.regions.join(", ")}, not ${config.region}`)
  }
  return warnings
}

/**
 * The raw `provider:` block of a one-shot request.
 *
 * @since 0.2.0
 * @category utils
 */
export const fromRequest = (request: RequestOptions): Record<string, unknown> => {
  const raw: Record<string, unknown> = {
    type: "funasr",
    model: request.model,
    region: request.region,
    language_hints: request.language_hints,
    vocabulary_id: request.vocabulary_id,
    disfluency_removal_enabled: request.disfluency_removal_enabled,
    timestamp_granularities: request.timestamp_granularities,
    channel_id: request.channel_id,
    context: request.context,
    enable_itn: request.enable_itn,
    sample_rate: request.sample_rate,
    poll: DashScopeAccount.pollOf(request)
  }
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined))
}

/**
 * The whole provider for a run: the client (with the resolved key) and the transcriber, its lanes in the
 * run's `RateController`, whose batches live as long as the layer.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  config: FunAsrConfig,
  credentials: CoreCredentials.Resolved
): Layer.Layer<Transcriber, ConfigError.ConfigError, HttpClient.HttpClient | FileSystem.FileSystem | Path.Path> =>
  Layer.scoped(Transcriber, Effect.map(FunAsrTranscriber.make(config), Transcriber.of)).pipe(
    Layer.provide(
      Layer.effect(
        DashScopeClient.DashScopeClient,
        DashScopeClient.fromConfig(config, credentials.key, { provider: BatchJournal.provider })
      )
    )
  )

/**
 * The whole provider with the key found where `credentials` looks, for library users who compose layers themselves.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  config: FunAsrConfig
): Layer.Layer<
  Transcriber,
  ConfigError.ConfigError | CoreCredentials.CredentialsError,
  HttpClient.HttpClient | FileSystem.FileSystem | Path.Path
> => Layer.unwrapEffect(Effect.map(credentials.resolve(), (resolved) => layer(config, resolved)))

const credentials = Credentials.specFor(BatchJournal.provider)

/**
 * The registry descriptor.
 *
 * @since 0.2.0
 * @category components
 */
export const component: ProviderComponent<FunAsrConfig, HttpClient.HttpClient | FileSystem.FileSystem | Path.Path> = {
  kind: "provider",
  type: "funasr",
  description: "Alibaba Cloud Fun-ASR / Paraformer: batched file transcription, speaker diarization, hotwords",
  config: FunAsrConfig,
  outputFolder: "aliyun-funasr",
  credentials,
  check,
  fromRequest,
  layer,
  doctor: Doctor.run,
  cancel: Cancel.make(BatchJournal.provider),
  emulator: DashScopeAccount.emulator
}
