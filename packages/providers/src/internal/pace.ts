/**
 * The one place the Fun-ASR/Paraformer and OpenAI-compatible providers wait for a request start under a rate
 * limit. It goes through the run's `RateLimiter` with its `acquire(key, rpm)` call shape; when the core rate
 * controller replaces it, this function is the line that changes.
 *
 * @since 0.2.0
 */
import type { Effect } from "effect"
import type { RateLimiter } from "../RateLimiter.js"

/** Waits for the next start slot of `key` at `requestsPerMinute`. */
export const pace = (limiter: RateLimiter.Service, key: string, requestsPerMinute: number): Effect.Effect<void> =>
  limiter.acquire(key, requestsPerMinute)
