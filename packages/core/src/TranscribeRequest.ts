/**
 * The normalized `asr.transcribe` request of the original skill, with the wire-neutral names it used.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * @since 0.1.0
 * @category models
 */
export const TimestampGranularity = Schema.Literal("sentence", "word")

/**
 * @since 0.1.0
 * @category models
 */
export class TranscribeRequest extends Schema.Class<TranscribeRequest>("TranscribeRequest")({
  audio: Schema.NonEmptyString.annotations({ description: "A public URL, an oss:// URL or a local file path." }),
  model: Schema.optionalWith(Schema.String, { default: () => "qwen3-asr-flash" }),
  language_hints: Schema.optional(Schema.Array(Schema.String)),
  sample_rate: Schema.optional(Schema.Number),
  vocabulary_id: Schema.optional(Schema.String),
  disfluency_removal_enabled: Schema.optional(Schema.Boolean),
  timestamp_granularities: Schema.optional(Schema.Array(TimestampGranularity)),
  async: Schema.optional(Schema.Boolean),
  context: Schema.optional(Schema.String),
  enable_itn: Schema.optional(Schema.Boolean),
  channel_id: Schema.optional(Schema.Array(Schema.NonNegativeInt))
}) {}
