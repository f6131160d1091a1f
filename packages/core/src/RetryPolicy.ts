/**
 * The one retry block shared by every HTTP provider, and the one place it becomes a `Schedule`.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Predicate, Schedule, Schema } from "effect"
import * as PhaseSpan from "./PhaseSpan.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export class RetryPolicy extends Schema.Class<RetryPolicy>("RetryPolicy")({
  attempts: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 5 }).annotations({
    description: "Retries after the first try (0 turns retrying off)."
  }),
  initial_backoff_ms: Schema.optionalWith(Schema.Positive, { default: () => 1000 }).annotations({
    description: "The first backoff; it doubles on every retry."
  }),
  max_backoff_ms: Schema.optionalWith(Schema.Positive, { default: () => 60_000 }).annotations({
    description: "The cap on any one backoff."
  }),
  jitter: Schema.optionalWith(Schema.Boolean, { default: () => true }).annotations({
    description: "Randomise each backoff (between 80% and 120%) so that parallel retries spread out."
  }),
  rounds: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 3 }).annotations({
    description: "Run-level retry budget: an item whose transient failure outlives its retries goes back to the " +
      "end of the queue (after a longer backoff) up to this many times before it is reported failed. " +
      "Permanent errors (400, 401, 403, 404, 413, 415, quota) are never retried. 0 turns it off."
  })
}, {
  description: "How transient failures (transport errors, timeouts, 429 throttling, 5xx) are retried: per request, " +
    "then per item (rounds)."
}) {}

/**
 * The default policy, as decoded from an empty block.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaults: RetryPolicy = Schema.decodeSync(RetryPolicy)({})

const retryAfterOf = (input: unknown): number | undefined =>
  Predicate.hasProperty(input, "retryAfterMs") && typeof input.retryAfterMs === "number"
    ? input.retryAfterMs
    : undefined

/**
 * Exponential backoff with a cap, optional jitter and a bounded number of retries. When the failure
 * carries a `retryAfterMs` (from a `Retry-After` header), the delay is at least that long.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toSchedule = (policy: RetryPolicy): Schedule.Schedule<number, unknown> => {
  const capped = Schedule.exponential(Duration.millis(policy.initial_backoff_ms)).pipe(
    // union takes the shorter of the two delays, which caps the exponential
    Schedule.union(Schedule.spaced(Duration.millis(policy.max_backoff_ms)))
  )
  const jittered = policy.jitter ? Schedule.jittered(capped) : capped
  return jittered.pipe(
    Schedule.intersect(Schedule.identity<unknown>()),
    Schedule.modifyDelay(([, input], delay) => {
      const retryAfter = retryAfterOf(input)
      return retryAfter === undefined ? delay : Duration.max(delay, Duration.millis(retryAfter))
    }),
    Schedule.intersect(Schedule.recurs(policy.attempts)),
    Schedule.map(([, attempt]) => attempt),
    // each retry counts for the item it runs for (the span attribute asrflow.retries)
    Schedule.onDecision((_, decision) => decision._tag === "Continue" ? PhaseSpan.countRetry : Effect.void)
  )
}

/**
 * How long an item waits before its next round (1-based): the backoff its retries would have reached next,
 * doubling per round, capped at `max_backoff_ms`, and never shorter than the server's `Retry-After`.
 *
 * @since 0.2.0
 * @category utils
 */
export const roundDelay = (policy: RetryPolicy, round: number, retryAfterMs?: number): Duration.Duration =>
  Duration.millis(
    Math.max(
      Math.min(policy.max_backoff_ms, policy.initial_backoff_ms * 2 ** (policy.attempts + round - 1)),
      retryAfterMs ?? 0
    )
  )
