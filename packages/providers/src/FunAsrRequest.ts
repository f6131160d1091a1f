/**
 * The Fun-ASR/Paraformer request of one item: the config merged with the item's manifest overrides, the warnings
 * for fields the model cannot honour (none of which is sent), the submit parameters (docs/PROTOCOL.md §13.1), the
 * batch key (items with the same key can share a submit) and the request key of the item's ledger fingerprint.
 *
 * @since 0.2.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import type { FunAsrConfig } from "./FunAsrConfig.js"
import * as FunAsrModels from "./FunAsrModels.js"

/**
 * The request of one item.
 *
 * @since 0.2.0
 * @category models
 */
export interface EffectiveRequest {
  readonly model: string
  readonly language_hints?: ReadonlyArray<string> | undefined
  readonly vocabulary_id?: string | undefined
  readonly diarization_enabled?: boolean | undefined
  readonly speaker_count?: number | undefined
  readonly disfluency_removal_enabled?: boolean | undefined
  readonly timestamp_alignment_enabled?: boolean | undefined
  readonly special_word_filter?: string | undefined
  readonly channel_id?: ReadonlyArray<number> | undefined
  readonly context?: string | undefined
  readonly enable_itn?: boolean | undefined
  readonly sample_rate?: number | undefined
}

/**
 * Merges the config with the item's overrides (model, language_hints, context).
 *
 * @since 0.2.0
 * @category utils
 */
export const effectiveRequest = (config: FunAsrConfig, item: Pick<AudioItem, "overrides">): EffectiveRequest => ({
  model: item.overrides?.model ?? config.model,
  language_hints: item.overrides?.language_hints ?? config.language_hints,
  vocabulary_id: config.vocabulary_id,
  diarization_enabled: config.diarization_enabled,
  speaker_count: config.speaker_count,
  disfluency_removal_enabled: config.disfluency_removal_enabled,
  timestamp_alignment_enabled: config.timestamp_alignment_enabled,
  special_word_filter: config.special_word_filter,
  channel_id: config.channel_id,
  context: item.overrides?.context ?? config.context,
  enable_itn: config.enable_itn,
  sample_rate: config.sample_rate
})

// =============================================================================
// Warnings
// =============================================================================

/**
 * The warnings for a request: fields the model cannot honour, and combinations that have no effect. None of the
 * fields named here is sent.
 *
 * @since 0.2.0
 * @category utils
 */
export const warningsFor = (request: EffectiveRequest): Array<string> => {
  const { model } = request
  const capability = FunAsrModels.lookup(model)
  if (capability === undefined) return [`unknown model ${model}`]
  const warnings: Array<string> = []
  const hints = request.language_hints ?? []
  if (hints.length > 0 && !capability.honours.includes("language_hints")) {
    warnings.push(`language_hints is not a ${model} parameter (it recognises one language); it is not sent`)
  } else if (hints.length > 1 && capability.firstHintOnly) {
    warnings.push(`${model} reads only the first language hint: ${hints[0]} is sent, ${hints.slice(1).join(", ")} not`)
  }
  for (const parameter of FunAsrModels.parameters) {
    if (parameter !== "language_hints" && request[parameter] !== undefined && !capability.honours.includes(parameter)) {
      warnings.push(`${parameter} is not a ${model} parameter; it is not sent`)
    }
  }
  if (request.speaker_count !== undefined && request.diarization_enabled !== true) {
    warnings.push(`speaker_count has no effect without diarization_enabled on ${model}; it is not sent`)
  }
  if (request.context !== undefined && request.context !== "") {
    warnings.push(
      `context is a Qwen option that ${model} cannot honour; it is not sent (use vocabulary_id for hotwords)`
    )
  }
  if (request.enable_itn !== undefined) {
    warnings.push(`enable_itn is a Qwen option that ${model} cannot honour (it always normalises); it is not sent`)
  }
  if (request.sample_rate !== undefined) {
    warnings.push(`sample_rate is not a ${model} request field (any sample rate is read); it is not sent`)
  }
  return warnings
}

// =============================================================================
// Wire
// =============================================================================

/**
 * The submit's `parameters`: only what the model honours, with defaults left to the service.
 *
 * @since 0.2.0
 * @category utils
 */
export const parametersOf = (request: EffectiveRequest): Record<string, unknown> => {
  const capability = FunAsrModels.lookup(request.model)
  const honours = (parameter: FunAsrModels.Parameter) => capability?.honours.includes(parameter) === true
  const hints = request.language_hints ?? []
  const out: Record<string, unknown> = {}
  if (hints.length > 0 && honours("language_hints")) {
    out.language_hints = capability?.firstHintOnly ? hints.slice(0, 1) : [...hints]
  }
  if (request.vocabulary_id !== undefined && honours("vocabulary_id")) out.vocabulary_id = request.vocabulary_id
  if (request.diarization_enabled !== undefined && honours("diarization_enabled")) {
    out.diarization_enabled = request.diarization_enabled
    if (request.diarization_enabled && request.speaker_count !== undefined && honours("speaker_count")) {
      out.speaker_count = request.speaker_count
    }
  }
  for (const flag of ["disfluency_removal_enabled", "timestamp_alignment_enabled"] as const) {
    if (request[flag] !== undefined && honours(flag)) out[flag] = request[flag]
  }
  if (request.special_word_filter !== undefined && honours("special_word_filter")) {
    out.special_word_filter = request.special_word_filter
  }
  if (request.channel_id !== undefined && request.channel_id.length > 0 && honours("channel_id")) {
    out.channel_id = [...request.channel_id]
  }
  return out
}

/**
 * The submit body of a batch (docs/PROTOCOL.md §13.1): `input.file_urls` and the parameters.
 *
 * @since 0.2.0
 * @category utils
 */
export const submitBody = (model: string, fileUrls: ReadonlyArray<string>, parameters: Record<string, unknown>) => ({
  model,
  input: { file_urls: [...fileUrls] },
  ...(Object.keys(parameters).length > 0 ? { parameters } : {})
})

/**
 * Items with the same batch key can share one submit: the same model and the same wire parameters.
 *
 * @since 0.2.0
 * @category utils
 */
export const batchKey = (request: EffectiveRequest): string =>
  JSON.stringify({ model: request.model, parameters: parametersOf(request) })

/**
 * A stable string of the effective request of an item (part of its ledger fingerprint).
 *
 * @since 0.2.0
 * @category utils
 */
export const requestKey = (config: FunAsrConfig, item: AudioItem): string => {
  const request = effectiveRequest(config, item)
  const entries = Object.entries({ ...request, words: config.timestamp_granularities?.includes("word") ?? true })
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
  return JSON.stringify(Object.fromEntries(entries))
}
