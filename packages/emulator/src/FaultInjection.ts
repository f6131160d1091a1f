/**
 * Answering a request with the fault the config chose for it, in the endpoint's own envelope (DashScope JSON for
 * the API, OSS XML for uploads and result documents).
 *
 * @since 0.1.0
 */
import type { Socket } from "node:net"
import type { FaultConfig } from "./EmulatorConfig.js"
import type { Ctx } from "./internal/http.js"
import { apiError, ossError } from "./internal/http.js"
import * as Throttling from "./Throttling.js"

const isOss = (ctx: Ctx): boolean => ctx.endpoint === "upload" || ctx.endpoint === "result"

const INTERNAL = "An internal error has occured, please try again later or contact service support."

// What an `error` fault says when it names only a status (docs/PROTOCOL.md, Error codes).
const DEFAULTS: Record<number, { readonly code: string; readonly message: string }> = {
  400: { code: "InvalidParameter", message: "Required parameter(s) missing or invalid." },
  401: { code: "InvalidApiKey", message: "Invalid API-key provided." },
  403: { code: "AccessDenied", message: "Access denied." },
  404: { code: "ModelNotFound", message: "Model not exist." },
  408: { code: "RequestTimeOut", message: "Request timed out, please try again later." },
  413: { code: "BadRequest.TooLarge", message: "Payload Too Large." },
  415: { code: "BadRequest.UnsupportedFileFormat", message: "Input file format is not supported." },
  429: { code: "Throttling.RateQuota", message: Throttling.MESSAGE },
  500: { code: "InternalError", message: INTERNAL },
  503: { code: "ModelUnavailable", message: "Model is unavailable, please try again later." }
}

const fallback = (status: number) =>
  DEFAULTS[status] ?? (status >= 500 ? DEFAULTS[500]! : { code: "InvalidParameter", message: "Bad request." })

const answerError = (ctx: Ctx, fault: FaultConfig, status: number): void => {
  const code = fault.code ?? fallback(status).code
  const message = fault.message ?? fallback(status).message
  if (isOss(ctx)) return ossError(ctx, status, code, message)
  const retry = status === 429 || status === 503 ? Throttling.headers(ctx, fault.retry_after_s) : undefined
  apiError(ctx, status, code, message, retry)
}

const reset = (ctx: Ctx): void => {
  ctx.outcome = "reset"
  ctx.res.writeHead(200, { "content-type": "application/json", "content-length": 4096 })
  ctx.res.write(`{"request_id":"${ctx.requestId}","output":{`, () => {
    const socket = ctx.res.socket as (Socket & { resetAndDestroy?: () => void }) | null
    if (socket?.resetAndDestroy) socket.resetAndDestroy()
    else socket?.destroy()
  })
}

/**
 * Applies the fault chosen for this request, if any. True means the request is answered (or gone); false means the
 * route runs, possibly marked to be cut off (`truncate`).
 *
 * @since 0.1.0
 * @category utils
 */
export const inject = async (ctx: Ctx): Promise<boolean> => {
  const fault = ctx.state.faults.decide(ctx.endpoint)
  if (fault === undefined) return false
  ctx.state.recorder.fault(fault.kind)
  switch (fault.kind) {
    case "internal_error":
      if (isOss(ctx)) ossError(ctx, 500, "InternalError", "We encountered an internal error. Please try again.")
      else apiError(ctx, 500, "InternalError", INTERNAL)
      return true
    case "model_unavailable":
      if (isOss(ctx)) ossError(ctx, 503, "ServiceUnavailable", "Please reduce your request rate.")
      else apiError(ctx, 503, "ModelUnavailable", "Model is unavailable, please try again later.")
      return true
    case "throttle":
      if (isOss(ctx)) ossError(ctx, 503, "SlowDown", "Please reduce your request rate.")
      else {
        const code = ctx.endpoint === "task" ? "Throttling" : "Throttling.RateQuota"
        apiError(ctx, 429, code, Throttling.MESSAGE, Throttling.headers(ctx, fault.retry_after_s))
      }
      return true
    case "error":
      answerError(ctx, fault, fault.status ?? 500)
      return true
    case "reset":
      reset(ctx)
      return true
    case "slow":
      await ctx.state.clock.sleep(fault.slow_ms)
      return ctx.res.destroyed
    case "truncate":
      ctx.truncate = { at: fault.truncate_at, keepObject: fault.keep_object }
      return false
    case "oss_missing":
      return false
  }
}
