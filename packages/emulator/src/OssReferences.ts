/**
 * `oss://` audio references (docs/PROTOCOL.md, Temporary uploads): the resolve header, the object's model binding and lifetime. Sync
 * requests and async submits answer the same way.
 *
 * @since 0.1.0
 */
import type { Ctx } from "./internal/http.js"
import { header } from "./internal/http.js"
import type { Rejection } from "./internal/rejection.js"
import { invalid, INVALID_URL } from "./internal/rejection.js"
import type { OssObject } from "./Uploads.js"

// docs/PROTOCOL.md documents no exact answer for a missing object; this is the 400 InvalidParameter the service
// gives for a URL it cannot use, naming the cause.
const MISSING = `${INVALID_URL} The oss resource does not exist.`

/**
 * Resolves `oss://key` for `model`, recording a violation for each way it can fail.
 *
 * @since 0.1.0
 * @category utils
 */
export const resolve = (ctx: Ctx, url: string, model: string): OssObject | Rejection => {
  const state = ctx.state
  if (header(ctx.req, "x-dashscope-ossresourceresolve")?.toLowerCase() !== "enable") {
    state.recorder.violation(
      "missing_oss_resolve_header",
      ctx.endpoint,
      `${url} sent without X-DashScope-OssResourceResolve: enable`
    )
    return invalid(INVALID_URL)
  }
  const key = url.slice("oss://".length)
  if (state.faults.decide(ctx.endpoint, "oss") !== undefined) {
    // An injected loss, not a client mistake: no violation.
    state.recorder.fault("oss_missing")
    void state.uploads.forget(key)
    return invalid(MISSING)
  }
  const resolved = state.uploads.resolve(url, model)
  switch (resolved._tag) {
    case "Ok":
      return resolved.object
    case "NotFound":
      state.recorder.violation("oss_not_found", ctx.endpoint, url)
      return invalid(MISSING)
    case "Expired":
      state.recorder.violation("oss_expired", ctx.endpoint, url)
      return invalid(`${INVALID_URL} The oss resource has expired.`)
    case "WrongModel":
      state.recorder.violation(
        "oss_model_mismatch",
        ctx.endpoint,
        `${url} was uploaded for ${resolved.boundTo}, used with ${model}`
      )
      return { status: 403, code: "AccessDenied", message: "Access denied: the oss resource belongs to another model." }
  }
}
