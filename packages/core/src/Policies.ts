/**
 * Rate-limit and polling blocks shared by providers.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * @since 0.1.0
 * @category schemas
 */
export class RateLimit extends Schema.Class<RateLimit>("RateLimit")({
  requests_per_minute: Schema.optional(Schema.Positive.annotations({
    description:
      "Requests started per minute per model, shared by the whole run. Defaults to the model's documented limit."
  }))
}, { description: "Client-side pacing, so that a batch stays under the provider's limits." }) {}

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
