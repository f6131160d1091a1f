/**
 * The HTTP server: routing, auth, faults, the drop window, concurrency tracking and the `/__emulator` control
 * routes.
 *
 * @since 0.1.0
 */
import * as http from "node:http"
import type { Socket } from "node:net"
import type { Ctx } from "./internal/http.js"
import { apiError, header, nativeError, ossError, readJson, sendJson, sleep } from "./internal/http.js"
import type { State } from "./internal/state.js"
import * as Models from "./Models.js"
import type { EndpointName } from "./Report.js"
import * as RoutesAsync from "./RoutesAsync.js"
import * as RoutesCompatible from "./RoutesCompatible.js"
import * as RoutesNative from "./RoutesNative.js"
import { getPolicy } from "./Uploads.js"

// =============================================================================
// Routing
// =============================================================================

type Route =
  | { readonly endpoint: EndpointName; readonly run: (ctx: Ctx) => Promise<void> | void }
  | { readonly endpoint: "control"; readonly run: (ctx: Ctx) => Promise<void> | void }

const TASK = /^\/api\/v1\/tasks\/([^/]+)$/
const CANCEL = /^\/api\/v1\/tasks\/([^/]+)\/cancel$/
const RESULT = /^\/__oss\/result\/([^/]+)\.json$/

const route = (method: string, pathname: string): Route | undefined => {
  if (method === "POST" && pathname === "/compatible-mode/v1/chat/completions") {
    return { endpoint: "compatible", run: RoutesCompatible.compatible }
  }
  if (method === "POST" && pathname === "/api/v1/services/aigc/multimodal-generation/generation") {
    return { endpoint: "native", run: RoutesNative.native }
  }
  if (method === "POST" && pathname === "/api/v1/services/audio/asr/transcription") {
    return { endpoint: "submit", run: RoutesAsync.submit }
  }
  if ((method === "GET" || method === "POST") && pathname === "/api/v1/tasks") {
    return method === "GET" ? { endpoint: "list", run: RoutesAsync.list } : undefined
  }
  let m = CANCEL.exec(pathname)
  if (m && method === "POST") return { endpoint: "cancel", run: (ctx) => RoutesAsync.cancel(ctx, m![1]!) }
  m = TASK.exec(pathname)
  if (m && (method === "GET" || method === "POST")) {
    return { endpoint: "task", run: (ctx) => RoutesAsync.query(ctx, decodeURIComponent(m![1]!)) }
  }
  if (method === "GET" && pathname === "/api/v1/uploads") {
    return {
      endpoint: "policy",
      run: async (ctx) => {
        const model = ctx.url.searchParams.get("model") ?? ""
        if (!ctx.state.limits.policy(model, ctx.state.clock.now())) {
          return nativeError(ctx, 429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.")
        }
        await sleep(ctx.state.config.latency_ms.policy)
        getPolicy(ctx, Models.isKnown)
      }
    }
  }
  if (method === "POST" && (pathname === "/__oss/upload" || pathname === "/__oss/upload/")) {
    return {
      endpoint: "upload",
      run: async (ctx) => {
        await sleep(ctx.state.config.latency_ms.upload)
        await ctx.state.uploads.handleUpload(ctx)
      }
    }
  }
  m = RESULT.exec(pathname)
  if (m && method === "GET") return { endpoint: "result", run: (ctx) => RoutesAsync.result(ctx, m![1]!) }
  if (pathname.startsWith("/__emulator/")) return { endpoint: "control", run: control }
  return undefined
}

// =============================================================================
// Control routes
// =============================================================================

const control = async (ctx: Ctx): Promise<void> => {
  const { pathname } = ctx.url
  const method = ctx.req.method
  if (method === "GET" && pathname === "/__emulator/report") return sendJson(ctx, 200, ctx.state.report())
  if (method === "POST" && pathname === "/__emulator/reset") {
    await readJson(ctx.req, 1024 * 1024)
    ctx.state.reset()
    return sendJson(ctx, 200, { ok: true })
  }
  if (method === "POST" && pathname === "/__emulator/config") {
    const body = await readJson(ctx.req, 16 * 1024 * 1024)
    if (body._tag !== "Ok") return sendJson(ctx, 400, { ok: false, error: "invalid JSON" })
    try {
      ctx.state.patch(body.json as never)
      return sendJson(ctx, 200, { ok: true })
    } catch (error) {
      return sendJson(ctx, 400, { ok: false, error: (error as Error).message })
    }
  }
  if (method === "POST" && pathname === "/__emulator/advance") {
    const body = await readJson(ctx.req, 1024 * 1024)
    const ms = body._tag === "Ok" ? Number((body.json as { ms?: unknown } | undefined)?.ms) : NaN
    if (!Number.isFinite(ms) || ms < 0) return sendJson(ctx, 400, { ok: false, error: "expected {\"ms\": n}" })
    ctx.state.clock.advance(ms)
    return sendJson(ctx, 200, { ok: true, now: ctx.state.clock.now() })
  }
  sendJson(ctx, 404, { ok: false, error: "unknown control route" })
}

// =============================================================================
// Cross-cutting checks
// =============================================================================

const AUTHENTICATED = new Set<string>(["compatible", "native", "submit", "task", "cancel", "list", "policy"])

const authorized = (ctx: Ctx): boolean => {
  const value = header(ctx.req, "authorization")
  if (value === undefined) return false
  const match = /^bearer\s+(.+)$/i.exec(value.trim())
  return match !== null && match[1]!.trim() === ctx.state.apiKey
}

const leaksKey = (ctx: Ctx): boolean => {
  const key = ctx.state.apiKey
  if (ctx.req.url?.includes(key)) return true
  const raw = ctx.req.rawHeaders
  for (let i = 1; i < raw.length; i += 2) if (raw[i]!.includes(key)) return true
  return false
}

const isOss = (endpoint: string): boolean => endpoint === "upload" || endpoint === "result"

const injectFault = async (ctx: Ctx): Promise<boolean> => {
  const fault = ctx.state.faults.decide(ctx.endpoint)
  if (fault === undefined) return false
  ctx.state.recorder.fault(fault.kind)
  switch (fault.kind) {
    case "internal_error":
      if (isOss(ctx.endpoint)) {
        ossError(ctx, 500, "InternalError", "We encountered an internal error. Please try again.")
      } else {
        apiError(
          ctx,
          500,
          "InternalError",
          "An internal error has occured, please try again later or contact service support."
        )
      }
      return true
    case "model_unavailable":
      if (isOss(ctx.endpoint)) ossError(ctx, 503, "ServiceUnavailable", "Please reduce your request rate.")
      else apiError(ctx, 503, "ModelUnavailable", "Model is unavailable, please try again later.")
      return true
    case "throttle":
      if (isOss(ctx.endpoint)) ossError(ctx, 503, "SlowDown", "Please reduce your request rate.")
      else {
        const seconds = ctx.state.config.rate_limits.retry_after_s
        apiError(
          ctx,
          429,
          ctx.endpoint === "task" ? "Throttling" : "Throttling.RateQuota",
          "Requests rate limit exceeded, please try again later.",
          seconds == null ? undefined : { "retry-after": String(seconds) }
        )
      }
      return true
    case "reset":
      ctx.outcome = "reset"
      ctx.res.writeHead(200, { "content-type": "application/json", "content-length": 4096 })
      ctx.res.write(`{"request_id":"${ctx.requestId}","output":{`, () => {
        const socket = ctx.res.socket as (Socket & { resetAndDestroy?: () => void }) | null
        if (socket?.resetAndDestroy) socket.resetAndDestroy()
        else socket?.destroy()
      })
      return true
    case "slow":
      await sleep(fault.slowMs)
      return ctx.res.destroyed
  }
}

// =============================================================================
// Server
// =============================================================================

/**
 * Builds the node HTTP server over the emulator state.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (state: State): http.Server => {
  const server = http.createServer({ keepAlive: true, requestTimeout: 0, highWaterMark: 1 << 16 }, (req, res) => {
    const url = new URL(req.url ?? "/", state.origin || "http://127.0.0.1")
    const found = route(req.method ?? "GET", url.pathname)
    if (found?.endpoint === "control") {
      const ctx: Ctx = { req, res, url, endpoint: "unknown", requestId: state.ids.uuid(), state }
      void Promise.resolve(found.run(ctx)).catch(() => fail(ctx))
      return
    }
    if (state.dropping()) {
      state.recorder.dropped++
      req.socket.destroy()
      return
    }
    const endpoint: EndpointName = found?.endpoint ?? "unknown"
    const ctx: Ctx = { req, res, url, endpoint, requestId: state.ids.uuid(), state }
    const recorder = state.recorder
    recorder.request(endpoint)
    recorder.enter()
    res.on("close", () => {
      recorder.leave()
      recorder.response(endpoint, ctx.outcome ?? (res.headersSent ? res.statusCode : "aborted"))
    })
    void handle(ctx, found).catch(() => fail(ctx))
  })
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 0
  return server
}

const fail = (ctx: Ctx): void => {
  if (!ctx.res.headersSent) nativeError(ctx, 500, "InternalError", "The emulator failed to handle the request.")
  else ctx.res.destroy()
}

const handle = async (ctx: Ctx, found: Route | undefined): Promise<void> => {
  if (found === undefined) {
    ctx.req.resume()
    return apiError(ctx, 404, "NotFound", `Not Found: ${ctx.req.method} ${ctx.url.pathname}`)
  }
  if (AUTHENTICATED.has(ctx.endpoint)) {
    if (!authorized(ctx)) {
      ctx.req.resume()
      return ctx.endpoint === "compatible"
        ? apiError(
          ctx,
          401,
          "InvalidApiKey",
          "Incorrect API key provided. For details, see: https://help.aliyun.com/zh/model-studio/error-code#apikey-error"
        )
        : nativeError(ctx, 401, "InvalidApiKey", "Invalid API-key provided.")
    }
  } else if (isOss(ctx.endpoint) && leaksKey(ctx)) {
    ctx.state.recorder.violation("key_leak", ctx.endpoint, "the API key was sent to the OSS host")
  }
  if (await injectFault(ctx)) {
    ctx.req.resume()
    return
  }
  await found.run(ctx)
}
