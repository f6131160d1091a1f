/**
 * The 429 side of the rate limits: taking a model's token (and recording the start for the report's timeline),
 * and the Retry-After policy of every 429 (`rate_limits.retry_after_s` on `retry_after_share` of them).
 *
 * @since 0.1.0
 */
import type * as http from "node:http"
import type { Ctx } from "./internal/http.js"

/**
 * The documented message of a throttling 429 (docs/PROTOCOL.md, Error codes).
 *
 * @since 0.1.0
 * @category constants
 */
export const MESSAGE = "Requests rate limit exceeded, please try again later."

/**
 * Takes a token from the model's bucket and records the start under `"<endpoint> <model>"`; false means 429.
 *
 * @since 0.1.0
 * @category utils
 */
export const takeModel = (ctx: Ctx, model: string): boolean => {
  const now = ctx.state.clock.now()
  const allowed = ctx.state.limits.takeModel(model, now)
  ctx.state.recorder.start(`${ctx.endpoint} ${model}`, now, allowed)
  return allowed
}

/**
 * The headers of one 429 answer: Retry-After per the policy, or per a fault's own `retry_after_s` when it has one
 * (null: none). Call it once per 429, as the share counts answers.
 *
 * @since 0.1.0
 * @category utils
 */
export const headers = (ctx: Ctx, own?: number | null): http.OutgoingHttpHeaders | undefined => {
  const seconds = own !== undefined ? own : ctx.state.limits.retryAfter()
  return seconds == null ? undefined : { "retry-after": String(seconds) }
}
