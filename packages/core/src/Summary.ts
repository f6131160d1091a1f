/**
 * The counts of a run, and the exit code they imply.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { TranscriptResult } from "./Transcript.js"

/**
 * @since 0.1.0
 * @category models
 */
export class Summary extends Schema.Class<Summary>("Summary")({
  run_id: Schema.String,
  total: Schema.Number,
  done: Schema.Number,
  failed: Schema.Number,
  skipped: Schema.Number,
  audio_seconds: Schema.Number,
  billed_seconds: Schema.Number,
  elapsed_ms: Schema.Number,
  failures: Schema.Array(Schema.Struct({ item: Schema.String, phase: Schema.String, message: Schema.String })),
  aborted: Schema.optional(Schema.String)
}) {
  /**
   * 0 when every item succeeded, 1 when some failed, 3 when the run was aborted (auth or connectivity).
   *
   * @since 0.1.0
   */
  get exitCode(): 0 | 1 | 3 {
    return this.aborted !== undefined ? 3 : this.failed > 0 ? 1 : 0
  }
}

/**
 * A mutable accumulator, private to one run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tally {
  total: number
  done: number
  failed: number
  skipped: number
  audioMs: number
  billedSeconds: number
  failures: Array<{ item: string; phase: string; message: string }>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const emptyTally = (): Tally => ({
  total: 0,
  done: 0,
  failed: 0,
  skipped: 0,
  audioMs: 0,
  billedSeconds: 0,
  failures: []
})

/**
 * Counts one written result; a sink failure turns a transcribed item into a failed one.
 *
 * @since 0.1.0
 * @category combinators
 */
export const add = (tally: Tally, result: TranscriptResult, sinkFailures: ReadonlyArray<string>): Tally => {
  tally.total += 1
  tally.audioMs += result.item.durationMs ?? 0
  if (result._tag === "Transcribed") {
    tally.billedSeconds += result.transcript.usageSeconds ?? 0
  }
  if (result._tag === "Failed") {
    tally.failed += 1
    tally.failures.push({ item: result.item.id, phase: result.phase, message: result.message })
  } else if (sinkFailures.length > 0) {
    tally.failed += 1
    tally.failures.push({ item: result.item.id, phase: "sink", message: sinkFailures.join("; ") })
  } else {
    tally.done += 1
  }
  return tally
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const fromTally = (
  tally: Tally,
  options: { readonly runId: string; readonly elapsedMs: number; readonly aborted?: string | undefined }
): Summary =>
  new Summary({
    run_id: options.runId,
    total: tally.total,
    done: tally.done,
    failed: tally.failed,
    skipped: tally.skipped,
    audio_seconds: Math.round(tally.audioMs / 10) / 100,
    billed_seconds: tally.billedSeconds,
    elapsed_ms: options.elapsedMs,
    failures: tally.failures,
    aborted: options.aborted
  })
