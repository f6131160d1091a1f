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
  })
}, { description: "How transient failures (transport errors, 408, 429 throttling, 500, 503) are retried." }) {}

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
