/**
 * The HTTP server: auth, key-leak checks, faults, the drop window and concurrency tracking around the routes.
 *
 * @since 0.1.0
 */
import * as http from "node:http"
import * as FaultInjection from "./FaultInjection.js"
import type { Ctx } from "./internal/http.js"
import { apiError, header, isOpenAi, nativeError } from "./internal/http.js"
import type { State } from "./internal/state.js"
import type { EndpointName } from "./Report.js"
import type { Route } from "./Routes.js"
import { route } from "./Routes.js"

// =============================================================================
// Cross-cutting checks
// =============================================================================

const AUTHENTICATED = new Set<string>([
  "compatible",
  "native",
  "submit",
  "task",
  "cancel",
  "list",
  "policy",
  "transcriptions",
  "models"
])

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
    const endpoint = (found?.endpoint ?? "unknown") as EndpointName
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
      if (isOpenAi(ctx)) return apiError(ctx, 401, "InvalidApiKey", "Incorrect API key provided.")
      return ctx.endpoint === "compatible"
        ? apiError(
          ctx,
          401,
          "InvalidApiKey",
          "Incorrect API key provided. For details, see: https://help.aliyun.com/zh/model-studio/error-code#apikey-error"
        )
        : nativeError(ctx, 401, "InvalidApiKey", "Invalid API-key provided.")
    }
  } else if ((ctx.endpoint === "upload" || ctx.endpoint === "result") && leaksKey(ctx)) {
    ctx.state.recorder.violation("key_leak", ctx.endpoint, "the API key was sent to the OSS host")
  }
  if (await FaultInjection.inject(ctx)) {
    ctx.req.resume()
    return
  }
  await found.run(ctx)
}
