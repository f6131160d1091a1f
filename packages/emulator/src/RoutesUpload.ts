/**
 * The upload routes (docs/PROTOCOL.md, Temporary uploads): getPolicy (rate-limited per model) and the OSS form POST.
 *
 * @since 0.1.0
 */
import type { Ctx } from "./internal/http.js"
import { nativeError, sendJson } from "./internal/http.js"
import * as Models from "./Models.js"
import * as Throttling from "./Throttling.js"

// The policy of the model named in the query, once the rate limit let the request through.
const issue = (ctx: Ctx): void => {
  const action = ctx.url.searchParams.get("action")
  const model = ctx.url.searchParams.get("model")
  if (action !== "getPolicy") {
    return nativeError(ctx, 400, "InvalidParameter", "Required parameter(s) missing or invalid: action.")
  }
  if (model === null || model.length === 0) {
    return nativeError(ctx, 400, "InvalidParameter", "Required parameter(s) missing or invalid: model.")
  }
  if (!Models.isKnown(model)) {
    ctx.state.recorder.violation("unknown_model", "policy", `getPolicy for unknown model "${model}"`)
    return nativeError(ctx, 404, "ModelNotFound", "Model not exist.")
  }
  sendJson(ctx, 200, { request_id: ctx.requestId, data: ctx.state.uploads.issuePolicy(model) })
}

/**
 * `GET /api/v1/uploads?action=getPolicy&model=…`: at most `get_policy_qps` per model in any second.
 *
 * @since 0.1.0
 * @category routes
 */
export const policy = async (ctx: Ctx): Promise<void> => {
  const model = ctx.url.searchParams.get("model") ?? ""
  const now = ctx.state.clock.now()
  const allowed = ctx.state.limits.policy(model, now)
  ctx.state.recorder.start(`policy ${model}`, now, allowed)
  if (!allowed) return nativeError(ctx, 429, "Throttling.RateQuota", Throttling.MESSAGE, Throttling.headers(ctx))
  await ctx.state.clock.sleep(ctx.state.config.latency_ms.policy)
  issue(ctx)
}

/**
 * `POST {upload_host}`: the OSS PostObject form, streamed to disk.
 *
 * @since 0.1.0
 * @category routes
 */
export const upload = async (ctx: Ctx): Promise<void> => {
  await ctx.state.clock.sleep(ctx.state.config.latency_ms.upload)
  await ctx.state.uploads.handleUpload(ctx)
}
