/**
 * The `/__emulator` routes a test or bench drives: the report, reset, config patches and clock jumps.
 *
 * @since 0.1.0
 */
import type { Ctx } from "./internal/http.js"
import { readJson, sendJson } from "./internal/http.js"

/**
 * `GET /__emulator/report`, `POST /__emulator/reset`, `POST /__emulator/config`, `POST /__emulator/advance`.
 *
 * @since 0.1.0
 * @category routes
 */
export const control = async (ctx: Ctx): Promise<void> => {
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
