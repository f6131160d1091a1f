/**
 * The `split:` block a provider with a split route offers: how long recordings are cut into chunks for a
 * sync model (see `ChunkPlan`) and what each chunk is sent with.
 *
 * @since 0.2.0
 */
import { Schema } from "effect"

/**
 * @since 0.2.0
 * @category schemas
 */
export class SplitPolicy extends Schema.Class<SplitPolicy>("SplitPolicy")({
  max_chunk_seconds: Schema.optionalWith(Schema.Positive, { default: () => 180 }).annotations({
    description: "The longest chunk, in seconds; never more than the model accepts. A recording longer than this " +
      "is split when the split route takes it."
  }),
  min_chunk_seconds: Schema.optionalWith(Schema.NonNegative, { default: () => 30 }).annotations({
    description: "The shortest chunk, in seconds (a recording's last chunk may be shorter); at most half of " +
      "max_chunk_seconds."
  }),
  overlap_ms: Schema.optionalWith(Schema.NonNegative, { default: () => 1000 }).annotations({
    description: "Where no pause is long enough, the two chunks share this much audio around the quietest " +
      "100 ms, and the words heard twice are kept once."
  }),
  min_pause_ms: Schema.optionalWith(Schema.Positive, { default: () => 300 }).annotations({
    description: "The shortest silence that counts as a pause to cut in."
  }),
  silence_db: Schema.optionalWith(Schema.Number.pipe(Schema.lessThan(0)), { default: () => -36 }).annotations({
    description: "The level under which a 10 ms frame is silent, in dBFS; raised to 6 dB above the recording's " +
      "noise floor when that is louder."
  }),
  format: Schema.optionalWith(Schema.Literal("flac", "opus"), { default: () => "flac" as const }).annotations({
    description: "How chunks are encoded (16 kHz mono): lossless FLAC, or Opus at 32 kb/s (a quarter of the size)."
  }),
  context: Schema.optionalWith(Schema.Boolean, { default: () => true }).annotations({
    description: "Send each chunk the last sentence of the chunk before it as recognition context (after the " +
      "configured context), when that chunk is already transcribed by the time this one is sent."
  })
}, { description: "How the split route cuts long audio into chunks for a sync model." }) {}

/**
 * The defaults.
 *
 * @since 0.2.0
 * @category constructors
 */
export const defaults: SplitPolicy = Schema.decodeSync(SplitPolicy)({})
