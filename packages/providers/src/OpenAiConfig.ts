/**
 * The `provider: {type: openai}` block: any server that speaks OpenAI's `POST /v1/audio/transcriptions`
 * (OpenAI, Groq, self-hosted faster-whisper/speaches or vLLM servers).
 *
 * @since 0.2.0
 */
import * as Policies from "@asrflow/core/Policies"
import * as RetryPolicy from "@asrflow/core/RetryPolicy"
import { Schema } from "effect"

/**
 * The timestamp granularities the API takes (`sentence` is accepted as the neutral name of `segment`).
 *
 * @since 0.2.0
 * @category schemas
 */
export const Granularity = Schema.Literal("segment", "word", "sentence")

const warnOnly = (field: string, why: string) =>
  `Not an OpenAI transcription field (${why}): a warning, never sent. Accepted so that a pipeline written for ` +
  `another provider validates; ${field} has no effect here.`

/**
 * @since 0.2.0
 * @category schemas
 */
export class OpenAiConfig extends Schema.Class<OpenAiConfig>("OpenAiConfig")({
  type: Schema.Literal("openai"),
  base_url: Schema.optional(Schema.String.annotations({
    description: "The server's base URL, ending in /v1 (e.g. https://api.groq.com/openai/v1, " +
      "http://localhost:8000/v1). Default: OPENAI_BASE_URL, else https://api.openai.com/v1.",
    examples: ["https://api.openai.com/v1", "http://localhost:8000/v1"]
  })),
  model: Schema.optionalWith(Schema.NonEmptyString, { default: () => "whisper-1" }).annotations({
    description: "The server's model id (whisper-1, whisper-large-v3, Systran/faster-whisper-small, …)."
  }),
  language: Schema.optional(Schema.String.annotations({
    description: "The language of the audio, ISO-639-1 (en, zh, de, …). Default: the server detects it."
  })),
  language_hints: Schema.optional(
    Schema.Array(Schema.String).annotations({
      description: "The neutral request's languages: one hint is sent as language; several are not sent (a warning)."
    })
  ),
  prompt: Schema.optional(Schema.String.annotations({
    description: "Text that guides the model's style and spelling (names, terms); in the audio's language."
  })),
  temperature: Schema.optional(
    Schema.Number.pipe(Schema.between(0, 1)).annotations({
      description: "Sampling temperature, 0 to 1."
    })
  ),
  response_format: Schema.optionalWith(Schema.Literal("verbose_json", "json", "text"), {
    default: () => "verbose_json" as const
  }).annotations({
    description: "verbose_json (the default) carries timestamps and the language; json and text carry the text only."
  }),
  timestamp_granularities: Schema.optionalWith(Schema.Array(Granularity), { default: () => ["segment"] as const })
    .annotations({
      description: "segment and/or word timestamps (verbose_json only). Segments become sentences; words are placed " +
        "in their segments. Word timestamps may add latency on the server."
    }),
  max_file_mb: Schema.optionalWith(Schema.Positive, { default: () => 25 }).annotations({
    description: "The server's request size limit in MB (OpenAI: 25). A larger file gets a clear error before " +
      "anything is sent."
  }),
  timeout_secs: Schema.optionalWith(Schema.Positive, { default: () => 600 }).annotations({
    description: "Per-request timeout, in seconds (the answer comes when the whole file is transcribed)."
  }),
  rate_limit: Schema.optionalWith(Policies.RateLimitBlock, { default: () => "auto" as const }),
  retry: Schema.optionalWith(RetryPolicy.RetryPolicy, { default: () => RetryPolicy.defaults }),
  context: Schema.optional(Schema.String.annotations({
    description: "The neutral request's recognition context; sent as prompt when prompt is not set."
  })),
  enable_itn: Schema.optional(Schema.Boolean.annotations({ description: warnOnly("enable_itn", "a Qwen option") })),
  vocabulary_id: Schema.optional(Schema.String.annotations({
    description: warnOnly("vocabulary_id", "a DashScope hotword vocabulary; use prompt")
  })),
  disfluency_removal_enabled: Schema.optional(Schema.Boolean.annotations({
    description: warnOnly("disfluency_removal_enabled", "a Fun-ASR/Paraformer option")
  })),
  diarization_enabled: Schema.optional(Schema.Boolean.annotations({
    description: warnOnly("diarization_enabled", "use type: funasr for speaker labels")
  })),
  channel_id: Schema.optional(
    Schema.Array(Schema.NonNegativeInt).annotations({
      description: warnOnly("channel_id", "the server mixes channels")
    })
  ),
  sample_rate: Schema.optional(
    Schema.Int.pipe(Schema.positive()).annotations({
      description: warnOnly("sample_rate", "the server reads the file's own rate")
    })
  )
}, {
  description: "Any OpenAI-compatible /v1/audio/transcriptions server (OpenAI, Groq, faster-whisper, vLLM): " +
    "local files uploaded as multipart, verbose_json segments and words as sentences and word timestamps."
}) {}

/**
 * Decodes a config object (unknown keys are errors), for tests and the library API.
 *
 * @since 0.2.0
 * @category constructors
 */
export const decode = Schema.decodeUnknownSync(OpenAiConfig, { errors: "all", onExcessProperty: "error" })

/**
 * The warnings for a config: fields the API has no place for, and combinations that cannot work. None of the
 * fields named is sent.
 *
 * @since 0.2.0
 * @category utils
 */
export const warnings = (config: OpenAiConfig): Array<string> => {
  const out: Array<string> = []
  const model = config.model
  const hints = config.language_hints ?? []
  if (hints.length > 1 && config.language === undefined) {
    out.push(`language_hints has ${hints.length} entries, but ${model} takes one language: none is sent`)
  }
  const granular = config.timestamp_granularities.filter((g) => g !== "segment" && g !== "sentence").length > 0 ||
    config.timestamp_granularities.length > 1
  if (config.response_format !== "verbose_json" && granular) {
    out.push(
      `timestamp_granularities needs response_format: verbose_json; with ${config.response_format} it is not sent`
    )
  }
  const foreign = [
    ["enable_itn", config.enable_itn],
    ["vocabulary_id", config.vocabulary_id],
    ["disfluency_removal_enabled", config.disfluency_removal_enabled],
    ["diarization_enabled", config.diarization_enabled],
    ["channel_id", config.channel_id],
    ["sample_rate", config.sample_rate]
  ] as const
  for (const [field, value] of foreign) {
    if (value !== undefined) {
      out.push(`${field} is not an OpenAI transcription field; ${model} cannot honour it, and it is not sent`)
    }
  }
  if (config.context !== undefined && config.prompt !== undefined) {
    out.push(`context is not sent: prompt is set, and ${model} takes one prompt`)
  }
  return out
}
