/**
 * The capability every ASR provider implements, and its typed error.
 *
 * @since 0.1.0
 */
import { Context, Schema } from "effect"
import type { Effect } from "effect"
import type { AudioItem } from "./AudioItem.js"
import type { RetryPolicy } from "./RetryPolicy.js"
import type { Transcript } from "./Transcript.js"

/**
 * Why a transcription failed. Providers map every wire failure to one of these.
 *
 * @since 0.1.0
 * @category errors
 */
export const TranscriptionErrorReason = Schema.Literal(
  "Unauthorized",
  "Forbidden",
  "InvalidRequest",
  "InvalidAudio",
  "Throttled",
  "QuotaExhausted",
  "ServerError",
  "Timeout",
  "Transport",
  "Decode",
  "TaskFailed",
  "TaskLost",
  "Unreachable"
)

/**
 * @since 0.1.0
 * @category errors
 */
export type TranscriptionErrorReason = typeof TranscriptionErrorReason.Type

/**
 * @since 0.1.0
 * @category errors
 */
export class TranscriptionError extends Schema.TaggedError<TranscriptionError>("@asrflow/core/TranscriptionError")(
  "TranscriptionError",
  {
    provider: Schema.String,
    input: Schema.String,
    reason: TranscriptionErrorReason,
    status: Schema.optional(Schema.Number),
    code: Schema.optional(Schema.String),
    requestId: Schema.optional(Schema.String),
    taskId: Schema.optional(Schema.String),
    retryAfterMs: Schema.optional(Schema.Number),
    description: Schema.optional(Schema.String),
    cause: Schema.optional(Schema.Defect)
  }
) {
  /**
   * Transient failures that a retry schedule may try again.
   *
   * @since 0.1.0
   */
  get isRetryable(): boolean {
    return this.reason === "Transport" || this.reason === "Throttled" || this.reason === "ServerError" ||
      this.reason === "Timeout"
  }

  /**
   * Failures that will hit every item alike (a bad key, a forbidden account, a service that cannot be
   * reached at all), so the run stops at once.
   *
   * @since 0.1.0
   */
  get isFatal(): boolean {
    return this.reason === "Unauthorized" || this.reason === "Forbidden" || this.reason === "Unreachable"
  }

  override get message(): string {
    const parts = [
      this.code ? `${this.reason} (${this.code})` : this.reason,
      `from ${this.provider} for ${this.input}`
    ]
    const ids = [
      this.status !== undefined ? `HTTP ${this.status}` : undefined,
      this.taskId ? `task ${this.taskId}` : undefined,
      this.requestId ? `request ${this.requestId}` : undefined
    ].filter((part): part is string => part !== undefined)
    return `${parts.join(" ")}${this.description ? `: ${this.description}` : ""}${
      ids.length > 0 ? ` [${ids.join(", ")}]` : ""
    }`
  }
}

/**
 * What a provider would do with an item, for `--dry-run` and cost estimates.
 *
 * @since 0.1.0
 * @category models
 */
export interface Plan {
  readonly route: string
  readonly model: string
  readonly estimatedSeconds?: number | undefined
  readonly estimatedCost?: { readonly amount: number; readonly currency: string } | undefined
  /** The price per billed second in the provider's capability table and its date (the summary's cost). */
  readonly price?: { readonly perSecond: number; readonly currency: string; readonly date: string } | undefined
  readonly warnings: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category context
 */
export class Transcriber extends Context.Tag("@asrflow/core/Transcriber")<Transcriber, Transcriber.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace Transcriber {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly provider: string
    /** Transcribes one probed item with the provider's configured request plus the item's overrides. */
    readonly transcribe: (item: AudioItem) => Effect.Effect<Transcript, TranscriptionError>
    /** Says how the item would be routed, without any network call. */
    readonly plan: (item: AudioItem) => Plan
    /** A stable string for the effective request options of an item; part of its ledger fingerprint. */
    readonly requestKey: (item: AudioItem) => string
    /**
     * Async providers: stage and submit without waiting; the transcript has no text yet, the remote id
     * in `taskId` and status `PENDING`. The job is in the ledger, so a later `transcribe` re-attaches.
     */
    readonly submit?: ((item: AudioItem) => Effect.Effect<Transcript, TranscriptionError>) | undefined
    /**
     * Async providers: waits for a job submitted earlier (known by its remote id, from the ledger or from
     * elsewhere) and returns its transcript.
     */
    readonly attach?: ((remoteId: string, item: AudioItem) => Effect.Effect<Transcript, TranscriptionError>) | undefined
    /**
     * The provider's retry policy. The runner gives an item whose transient failure outlived it up to
     * `rounds` more rounds (default: `RetryPolicy.defaults`).
     */
    readonly retry?: RetryPolicy | undefined
  }
}
