/**
 * The normalized `asr.transcribe` request of the original skill, with the wire-neutral names it used.
 * The one-shot `asrflow transcribe` and the Promise `transcribe()` take it; each provider maps the fields
 * it honours onto its own config (`ProviderComponent.fromRequest`) and warns about the rest.
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
export type TimestampGranularity = typeof TimestampGranularity.Type

/**
 * The sample rate of raw PCM input, in Hz (`--sample-rate`, a provider's `sample_rate`).
 *
 * @since 0.2.0
 * @category models
 */
export const SampleRate = Schema.Int.pipe(Schema.positive()).annotations({ description: "a positive integer" })

/**
 * Seconds between two queries of an async task (`--poll-interval`).
 *
 * @since 0.2.0
 * @category models
 */
export const PollIntervalSecs = Schema.Positive.annotations({ description: "a positive number of seconds" })

/**
 * How many poll intervals to wait for an async task before giving up (`--max-waits`).
 *
 * @since 0.2.0
 * @category models
 */
export const MaxWaits = Schema.Int.pipe(Schema.positive()).annotations({ description: "a positive integer" })

/**
 * The request options, without the audio. Every field is optional: the provider supplies its defaults
 * (its default model, its region).
 *
 * @since 0.2.0
 * @category models
 */
export interface RequestOptions {
  readonly model?: string | undefined
  readonly language_hints?: ReadonlyArray<string> | undefined
  readonly sample_rate?: number | undefined
  readonly vocabulary_id?: string | undefined
  readonly disfluency_removal_enabled?: boolean | undefined
  readonly timestamp_granularities?: ReadonlyArray<TimestampGranularity> | undefined
  /** Use the provider's async workflow (default: what the model's family uses). */
  readonly async?: boolean | undefined
  readonly context?: string | undefined
  readonly enable_itn?: boolean | undefined
  readonly channel_id?: ReadonlyArray<number> | undefined
  /** A provider region or deployment name, validated by the provider's config. */
  readonly region?: string | undefined
  /** Async: seconds between task queries. */
  readonly poll_interval_secs?: number | undefined
  /** Async: give up after this many poll intervals. */
  readonly max_waits?: number | undefined
}
