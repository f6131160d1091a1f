/**
 * The request mapping both Qwen transcribers share: the effective request of an item (config plus its
 * manifest overrides), the one route selection (which model, sync or async), the warnings for fields a
 * model cannot honour, `asr_options`, the MIME type of a local item and the request key that goes into
 * the item's ledger fingerprint.
 *
 * @since 0.2.0
 */
import * as AudioFormat from "@asrflow/core/AudioFormat"
import type { AudioItem } from "@asrflow/core/AudioItem"
import type { RequestOptions } from "@asrflow/core/TranscribeRequest"
import type * as Wire from "./internal/schemas.js"
import * as Models from "./Models.js"
import type { QwenConfig } from "./QwenConfig.js"

// =============================================================================
// The effective request
// =============================================================================

/**
 * The request for one item: the provider config merged with the item's manifest overrides. It holds the
 * neutral request's fields (without the run-level ones) with a model that is always set, plus `stream`.
 *
 * @since 0.1.0
 * @category models
 */
export interface EffectiveRequest
  extends Omit<RequestOptions, "model" | "region" | "poll_interval_secs" | "max_waits">
{
  readonly model: string
  readonly stream?: boolean | undefined
}

/**
 * Merges the config with the item's overrides (model, language_hints, context). The model may still be `auto`.
 *
 * @since 0.1.0
 * @category utils
 */
export const effectiveRequest = (config: QwenConfig, item: Pick<AudioItem, "overrides">): EffectiveRequest => ({
  model: item.overrides?.model ?? config.model,
  language_hints: item.overrides?.language_hints ?? config.language_hints,
  context: item.overrides?.context ?? config.context,
  enable_itn: config.enable_itn,
  timestamp_granularities: config.timestamp_granularities,
  vocabulary_id: config.vocabulary_id,
  disfluency_removal_enabled: config.disfluency_removal_enabled,
  sample_rate: config.sample_rate,
  channel_id: config.channel_id,
  stream: config.stream,
  async: config.async
})

/**
 * The MIME type of a local item: the probe's, else its container's. Raw PCM, which has no registered
 * type, is sent as `audio/pcm`, which DashScope reads as 16 kHz mono.
 *
 * @since 0.1.0
 * @category utils
 */
export const mimeOf = (item: Pick<AudioItem, "mime" | "container">): string | undefined =>
  item.mime ?? AudioFormat.mimeOf(item.container) ?? (item.container === "pcm" ? "audio/pcm" : undefined)

// =============================================================================
// Route selection
// =============================================================================

/**
 * The model an item goes to: the explicit one, or for `auto` the async model when the item takes the
 * async path (`async: true`, or `path: "async"` for the async transcriber), else the model the item's
 * duration and encoded size allow.
 *
 * @since 0.1.0
 * @category utils
 */
export const modelFor = (
  request: EffectiveRequest,
  item: Pick<AudioItem, "durationMs" | "isLocal" | "sizeBytes" | "mime" | "container">,
  path?: "async" | undefined
): string => {
  if (request.model !== "auto") return request.model
  if (path === "async" || request.async === true) return Models.auto.async
  const encodedBytes = item.isLocal && item.sizeBytes !== undefined
    ? Models.dataUriLength(item.sizeBytes, mimeOf(item) ?? "audio/wav")
    : undefined
  return Models.route({ durationMs: item.durationMs, encodedBytes })
}

/**
 * Whether an item takes the async path: `async: true`, or a model (explicit or chosen by `auto`) whose
 * family is async.
 *
 * @since 0.1.0
 * @category utils
 */
export const isAsync = (config: QwenConfig, item: AudioItem): boolean =>
  config.async === true || Models.lookup(modelFor(effectiveRequest(config, item), item))?.mode === "async"

/**
 * A stable string of the effective request options of an item (part of its ledger fingerprint). Its
 * shape must not change: a resumed run finds its items by it. `extra` adds entries (undefined ones are
 * left out).
 *
 * @since 0.1.0
 * @category utils
 */
export const requestKey = (config: QwenConfig, item: AudioItem, extra?: Record<string, unknown>): string => {
  const request = effectiveRequest(config, item)
  const entries = Object.entries({
    ...request,
    model: modelFor(request, item),
    stream: undefined,
    async: undefined,
    ...extra
  })
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
  return JSON.stringify(Object.fromEntries(entries))
}

// =============================================================================
// Warnings
// =============================================================================

const present = <A>(value: A | undefined): value is A => value !== undefined

/**
 * The warnings for fields the model cannot honour. None of these fields is ever sent.
 *
 * @since 0.1.0
 * @category utils
 */
export const warningsFor = (capability: Models.Capability, model: string, request: EffectiveRequest): Array<string> => {
  const honours = (field: Models.RequestField) => capability.honours.includes(field)
  const warnings: Array<string> = []
  const hints = request.language_hints ?? []
  if (hints.length > 1 && honours("language_hints")) {
    warnings.push(
      `language_hints has ${hints.length} entries (${hints.join(", ")}), but ${model} takes exactly one language: ` +
        "none is sent, and qwen3 auto-detects the language"
    )
  } else if (hints.length > 0 && !honours("language_hints")) {
    warnings.push(`${model} takes no language; language_hints is not sent`)
  }
  if (present(request.context) && request.context !== "" && !honours("context")) {
    warnings.push(`${model} does not take recognition context; context is not sent`)
  }
  if (present(request.enable_itn) && !honours("enable_itn")) {
    warnings.push(`${model} does not support inverse text normalization; enable_itn is not sent`)
  }
  if (
    present(request.timestamp_granularities) && request.timestamp_granularities.length > 0 &&
    !honours("timestamp_granularities")
  ) {
    warnings.push(
      `${model} returns no timestamps; timestamp_granularities is not sent ` +
        "(use qwen3-asr-flash-filetrans for sentence and word timestamps)"
    )
  }
  if (present(request.vocabulary_id) && !honours("vocabulary_id")) {
    warnings.push(
      `vocabulary_id is a Paraformer/Fun-ASR hotword vocabulary that ${model} cannot honour; it is not sent ` +
        "(use context for biasing)"
    )
  }
  if (present(request.disfluency_removal_enabled) && !honours("disfluency_removal_enabled")) {
    warnings.push(
      `disfluency_removal_enabled is a Paraformer/Fun-ASR option that ${model} cannot honour; it is not sent`
    )
  }
  if (present(request.sample_rate) && !honours("sample_rate")) {
    warnings.push(`sample_rate is not a ${model} request field (the service resamples to 16 kHz); it is not sent`)
  }
  if (present(request.channel_id) && !honours("channel_id")) {
    warnings.push(`${model} averages all channels to mono; channel_id is not sent`)
  }
  if (request.stream === true && !honours("stream")) {
    warnings.push(`${model} does not stream; the answer is requested in one piece`)
  }
  return warnings
}

/**
 * The warnings for an async (filetrans) request: the fields the model cannot honour, plus `context` and
 * `stream`, which the task API has no place for.
 *
 * @since 0.1.0
 * @category utils
 */
export const asyncWarningsFor = (model: string, request: EffectiveRequest): Array<string> => {
  const capability = Models.lookup(model)
  if (capability === undefined) return [`unknown model ${model}`]
  return warningsFor(capability, model, { ...request, context: undefined, stream: undefined }).concat(
    request.context !== undefined && request.context !== ""
      ? [`${model}: filetrans has no documented context parameter; context is not sent`]
      : [],
    request.stream === true ? [`${model} is an async task model; stream is ignored`] : []
  )
}

// =============================================================================
// Wire options
// =============================================================================

/**
 * `asr_options` for the model: exactly one language hint becomes `language`; `enable_itn` passes through.
 *
 * @since 0.1.0
 * @category utils
 */
export const asrOptions = (capability: Models.Capability, request: EffectiveRequest): Wire.AsrOptions | undefined => {
  const hints = request.language_hints ?? []
  const language = capability.honours.includes("language_hints") && hints.length === 1 ? hints[0] : undefined
  const itn = capability.honours.includes("enable_itn") ? request.enable_itn : undefined
  if (language === undefined && itn === undefined) return undefined
  return { ...(language !== undefined ? { language } : {}), ...(itn !== undefined ? { enable_itn: itn } : {}) }
}
