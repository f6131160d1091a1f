/**
 * Rate-limit and polling blocks shared by providers.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The mapping form of a `rate_limit` block.
 *
 * @since 0.1.0
 * @category schemas
 */
export class RateLimit extends Schema.Class<RateLimit>("RateLimit")({
  requests_per_minute: Schema.optional(Schema.Positive.annotations({
    description: "Requests started per minute per model, shared by the whole run: your account's limit. The run " +
      "starts at it and, while adaptive, never probes above it (unless max_requests_per_minute is higher). " +
      "Default: the rate an earlier run learned, else the model's documented limit."
  })),
  max_requests_per_minute: Schema.optional(Schema.Positive.annotations({
    description: "The highest rate the adaptive controller may probe up to. Default: requests_per_minute when it " +
      "is set, otherwise 6000 (or the documented limit, if higher)."
  })),
  adaptive: Schema.optionalWith(Schema.Boolean, { default: () => true }).annotations({
    description: "Adapt the rate: slow down on throttling (429) and probe upward while nothing is throttled. " +
      "false pins the rate at requests_per_minute (or the documented limit)."
  })
}, { description: "Client-side pacing, so that a batch stays under the provider's limits." }) {}

/**
 * A `rate_limit` block: `auto` (the default) or a `RateLimit` mapping.
 *
 * @since 0.2.0
 * @category schemas
 */
export const RateLimitBlock = Schema.Union(
  Schema.Literal("auto").annotations({
    description: "Learn the limit: start at the rate an earlier run learned (else the documented limit), probe " +
      "upward while nothing is throttled, back off on throttling."
  }),
  RateLimit
).annotations({
  description: "Client-side pacing of request starts per model, shared by the whole run: `auto` (the default) " +
    "adapts to the account's real limit; a mapping tells or pins it."
})

/**
 * @since 0.2.0
 * @category schemas
 */
export type RateLimitBlock = typeof RateLimitBlock.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export class PollPolicy extends Schema.Class<PollPolicy>("PollPolicy")({
  initial_interval_ms: Schema.optionalWith(Schema.Positive, { default: () => 5000 }).annotations({
    description: "The first wait before querying an async task."
  }),
  max_interval_ms: Schema.optionalWith(Schema.Positive, { default: () => 20_000 }).annotations({
    description: "The longest wait between two queries of one task."
  }),
  timeout_secs: Schema.optionalWith(Schema.Positive, { default: () => 43_200 }).annotations({
    description: "Give up waiting for a task after this long; the task id is kept so the run can resume."
  })
}, { description: "How async tasks are polled." }) {}
