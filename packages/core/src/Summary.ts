/**
 * The counts of a run, and the exit code they imply.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { TranscriptResult } from "./Transcript.js"

/**
 * The estimated cost in one currency: billed seconds × the price per second in the provider's capability
 * table, and the date of that price.
 *
 * @since 0.2.0
 * @category models
 */
export const Cost = Schema.Struct({
  amount: Schema.Number,
  currency: Schema.String,
  price_date: Schema.String.annotations({ description: "When the price was taken from the provider's price list." })
})

/**
 * The signals that stop a run gracefully.
 *
 * @since 0.2.0
 * @category models
 */
export const StopSignal = Schema.Literal("SIGINT", "SIGTERM")

/**
 * @since 0.2.0
 * @category models
 */
export const LaneSummary = Schema.Struct({
  lane: Schema.String,
  requests_per_minute: Schema.Number,
  ceiling_per_minute: Schema.NullOr(Schema.Number),
  starts: Schema.Number,
  throttled: Schema.Number,
  in_flight_needed: Schema.Number
})

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
  /** The first `failuresListed` failures (`failed` counts them all; the run log has every one). */
  failures: Schema.Array(Schema.Struct({ item: Schema.String, phase: Schema.String, message: Schema.String })),
  /** Items whose transient failure outlived their retries, so they went back to the queue for another round. */
  second_round: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  /** What each rate lane ended at: its rate, the limit it estimated, its starts and throttled answers. */
  lanes: Schema.optionalWith(Schema.Array(LaneSummary), { default: () => [] }),
  /** Problems outside any one item: a sink that could not finish its file, a run log that could not be written. */
  errors: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  aborted: Schema.optional(Schema.String),
  /** Billed seconds × the capability table's price, per currency (empty when the provider has no price). */
  estimated_cost: Schema.optionalWith(Schema.Array(Cost), { default: () => [] }),
  /** The signal that stopped the run; what it did not finish is recorded for the next run. */
  stopped: Schema.optional(StopSignal),
  /** Items a stop let go before they finished (their async tasks stay recorded for the next run). */
  unfinished: Schema.optionalWith(Schema.Number, { default: () => 0 })
}) {
  /**
   * 0 when every item succeeded, 1 when some failed or an output could not be written, 3 when the run
   * was aborted (auth or connectivity), 130 or 143 when SIGINT or SIGTERM stopped it.
   *
   * @since 0.1.0
   */
  get exitCode(): 0 | 1 | 3 | 130 | 143 {
    if (this.stopped !== undefined) return this.stopped === "SIGINT" ? 130 : 143
    return this.aborted !== undefined ? 3 : this.failed > 0 || this.errors.length > 0 ? 1 : 0
  }
}

/**
 * The counts of a run so far. Immutable: the runner keeps it in a `Ref`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tally {
  readonly total: number
  readonly done: number
  readonly failed: number
  readonly skipped: number
  readonly audioMs: number
  readonly billedSeconds: number
  readonly failures: ReadonlyArray<{ readonly item: string; readonly phase: string; readonly message: string }>
  /** Estimated cost so far, by currency and price date. */
  readonly costs?: ReadonlyArray<typeof Cost.Type> | undefined
  /** Items a stop let go before they finished. */
  readonly unfinished?: number | undefined
  readonly secondRound?: number | undefined
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
  failures: [],
  secondRound: 0
})

/**
 * How many failures the summary lists; `failed` counts them all, and the run log and the JSONL sink have
 * every one (a batch of 100,000 items must not hold a record of each failure until it ends).
 *
 * @since 0.2.0
 * @category utils
 */
export const failuresListed = 100

const listed = (
  failures: Tally["failures"],
  failure: Tally["failures"][number]
): Tally["failures"] => failures.length >= failuresListed ? failures : [...failures, failure]

/**
 * Counts one written result; a sink failure turns a transcribed item into a failed one.
 *
 * @since 0.1.0
 * @category combinators
 */
export const add = (tally: Tally, result: TranscriptResult, sinkFailures: ReadonlyArray<string>): Tally => {
  const counted = {
    ...tally,
    total: tally.total + 1,
    audioMs: tally.audioMs + (result.item.durationMs ?? 0),
    billedSeconds: tally.billedSeconds + (result._tag === "Transcribed" ? result.transcript.usageSeconds ?? 0 : 0)
  }
  if (result._tag === "Failed") {
    return {
      ...counted,
      failed: tally.failed + 1,
      failures: listed(tally.failures, { item: result.item.id, phase: result.phase, message: result.message })
    }
  }
  if (sinkFailures.length > 0) {
    return {
      ...counted,
      failed: tally.failed + 1,
      failures: listed(tally.failures, { item: result.item.id, phase: "sink", message: sinkFailures.join("; ") })
    }
  }
  return { ...counted, done: tally.done + 1 }
}

/**
 * Adds the cost of `seconds` billed at `price` (per second) to the tally.
 *
 * @since 0.2.0
 * @category combinators
 */
export const charge = (
  tally: Tally,
  seconds: number,
  price: { readonly perSecond: number; readonly currency: string; readonly date: string }
): Tally => {
  const costs = tally.costs ?? []
  const index = costs.findIndex((cost) => cost.currency === price.currency && cost.price_date === price.date)
  const amount = seconds * price.perSecond
  if (index === -1) return { ...tally, costs: [...costs, { amount, currency: price.currency, price_date: price.date }] }
  return {
    ...tally,
    costs: costs.map((cost, i) => i === index ? { ...cost, amount: cost.amount + amount } : cost)
  }
}

/**
 * Counts an item a stop let go before it finished.
 *
 * @since 0.2.0
 * @category combinators
 */
export const leave = (tally: Tally): Tally => ({ ...tally, unfinished: (tally.unfinished ?? 0) + 1 })

/**
 * Counts an item that goes back to the queue for its second round (later rounds are not counted again).
 *
 * @since 0.2.0
 * @category combinators
 */
export const requeue = (tally: Tally): Tally => ({ ...tally, secondRound: (tally.secondRound ?? 0) + 1 })

/**
 * Counts one item the ledger already has done (or `count` of them).
 *
 * @since 0.2.0
 * @category combinators
 */
export const skip = (tally: Tally, count: number = 1): Tally => ({
  ...tally,
  total: tally.total + count,
  skipped: tally.skipped + count
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const fromTally = (
  tally: Tally,
  options: {
    readonly runId: string
    readonly elapsedMs: number
    readonly errors?: ReadonlyArray<string> | undefined
    readonly aborted?: string | undefined
    readonly stopped?: typeof StopSignal.Type | undefined
    readonly lanes?: ReadonlyArray<typeof LaneSummary.Type> | undefined
  }
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
    second_round: tally.secondRound ?? 0,
    lanes: options.lanes ?? [],
    errors: options.errors ?? [],
    aborted: options.aborted,
    // to the 6th decimal: prices per second are small, sums of many stay readable
    estimated_cost: (tally.costs ?? []).map((cost) => ({ ...cost, amount: Math.round(cost.amount * 1e6) / 1e6 })),
    stopped: options.stopped,
    unfinished: tally.unfinished ?? 0
  })
