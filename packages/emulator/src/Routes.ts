/**
 * Which handler answers a method and path, and under which endpoint name the report counts it.
 *
 * @since 0.1.0
 */
import { control } from "./ControlRoutes.js"
import type { Ctx } from "./internal/http.js"
import type { EndpointName } from "./Report.js"
import * as RoutesAsync from "./RoutesAsync.js"
import * as RoutesBatch from "./RoutesBatch.js"
import * as RoutesCompatible from "./RoutesCompatible.js"
import * as RoutesNative from "./RoutesNative.js"
import * as RoutesOpenAi from "./RoutesOpenAi.js"
import * as RoutesUpload from "./RoutesUpload.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Route {
  readonly endpoint: EndpointName | "control"
  readonly run: (ctx: Ctx) => Promise<void> | void
}

const TASK = /^\/api\/v1\/tasks\/([^/]+)$/
const CANCEL = /^\/api\/v1\/tasks\/([^/]+)\/cancel$/
const RESULT = /^\/__oss\/result\/([^/]+)\.json$/
const BATCH_RESULT = /^\/__oss\/result\/([^/]+)\/(\d+)\.json$/

/**
 * @since 0.1.0
 * @category routes
 */
export const route = (method: string, pathname: string): Route | undefined => {
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
  if (method === "GET" && pathname === "/api/v1/uploads") return { endpoint: "policy", run: RoutesUpload.policy }
  if (method === "POST" && (pathname === "/__oss/upload" || pathname === "/__oss/upload/")) {
    return { endpoint: "upload", run: RoutesUpload.upload }
  }
  m = RESULT.exec(pathname)
  if (m && method === "GET") return { endpoint: "result", run: (ctx) => RoutesAsync.result(ctx, m![1]!) }
  m = BATCH_RESULT.exec(pathname)
  if (m && method === "GET") {
    return { endpoint: "result", run: (ctx) => RoutesBatch.result(ctx, m![1]!, Number(m![2])) }
  }
  if (method === "POST" && pathname === "/v1/audio/transcriptions") {
    return { endpoint: "transcriptions", run: RoutesOpenAi.transcriptions }
  }
  if (method === "GET" && pathname === "/v1/models") return { endpoint: "models", run: RoutesOpenAi.models }
  if (pathname.startsWith("/__emulator/")) return { endpoint: "control", run: control }
  return undefined
}
