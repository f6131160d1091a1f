/**
 * Response helpers: JSON, the native and compatible-mode error envelopes, OSS XML errors, body reading.
 *
 * @since 0.1.0
 */
import type * as http from "node:http"
import type { EndpointName } from "../Report.js"
import type { State } from "./state.js"

/**
 * One request in flight.
 *
 * @since 0.1.0
 */
export interface Ctx {
  readonly req: http.IncomingMessage
  readonly res: http.ServerResponse
  readonly url: URL
  readonly endpoint: EndpointName
  readonly requestId: string
  readonly state: State
  /** Set when the outcome is not an HTTP status (a reset, a truncated answer). */
  outcome?: string
  /** Set by a `truncate` fault: the answer is cut after this fraction of its body, then the connection closes. */
  truncate?: { readonly at: number; readonly keepObject: boolean }
}

/**
 * Writes a complete answer, or (under a `truncate` fault) its headers with the full Content-Length and the first
 * part of its body, then closes the connection.
 *
 * @since 0.1.0
 */
export const writeAnswer = (
  ctx: Ctx,
  status: number,
  headers: http.OutgoingHttpHeaders,
  body: string | Buffer
): void => {
  if (ctx.truncate === undefined) {
    ctx.res.writeHead(status, headers)
    ctx.res.end(body)
    return
  }
  const bytes = typeof body === "string" ? Buffer.from(body) : body
  ctx.outcome = "truncated"
  ctx.res.writeHead(status, { ...headers, "content-length": bytes.length })
  ctx.res.flushHeaders()
  ctx.res.write(bytes.subarray(0, Math.floor(bytes.length * ctx.truncate.at)), () => ctx.res.socket?.destroy())
}

const baseHeaders = (ctx: Ctx, contentType: string, length?: number): http.OutgoingHttpHeaders => {
  const headers: http.OutgoingHttpHeaders = {
    "content-type": contentType,
    "x-request-id": ctx.requestId,
    "req-cost-time": "1",
    server: "istio-envoy"
  }
  if (length !== undefined) headers["content-length"] = length
  return headers
}

/**
 * @since 0.1.0
 */
export const sendJson = (
  ctx: Ctx,
  status: number,
  body: unknown,
  extra?: http.OutgoingHttpHeaders
): void => {
  if (ctx.res.headersSent || ctx.res.destroyed) return
  const text = JSON.stringify(body)
  writeAnswer(ctx, status, { ...baseHeaders(ctx, "application/json", Buffer.byteLength(text)), ...extra }, text)
}

/**
 * @since 0.1.0
 */
export const sendText = (
  ctx: Ctx,
  status: number,
  contentType: string,
  text: string,
  extra?: http.OutgoingHttpHeaders
): void => {
  if (ctx.res.headersSent || ctx.res.destroyed) return
  writeAnswer(ctx, status, { ...baseHeaders(ctx, contentType, Buffer.byteLength(text)), ...extra }, text)
}

/**
 * `{code, message, request_id}` (docs/PROTOCOL.md, Error codes).
 *
 * @since 0.1.0
 */
export const nativeError = (
  ctx: Ctx,
  status: number,
  code: string,
  message: string,
  extra?: http.OutgoingHttpHeaders
): void => sendJson(ctx, status, { code, message, request_id: ctx.requestId }, extra)

const COMPAT_CODES: Record<number, { readonly code: string; readonly type: string }> = {
  400: { code: "invalid_parameter_error", type: "invalid_request_error" },
  401: { code: "invalid_api_key", type: "invalid_request_error" },
  403: { code: "access_denied", type: "invalid_request_error" },
  404: { code: "model_not_found", type: "invalid_request_error" },
  413: { code: "invalid_parameter_error", type: "invalid_request_error" },
  415: { code: "invalid_parameter_error", type: "invalid_request_error" },
  429: { code: "limit_requests", type: "limit_requests" },
  500: { code: "internal_error", type: "internal_error" },
  503: { code: "model_unavailable", type: "service_unavailable_error" }
}

// Native codes whose compatible-mode code is not the one of their status (docs/PROTOCOL.md, Error codes): a quota 429 is
// `insufficient_quota`, not `limit_requests`.
const COMPAT_BY_NATIVE_CODE: Record<string, { readonly code: string; readonly type: string }> = {
  NotFound: { code: "not_found", type: "invalid_request_error" },
  "Throttling.AllocationQuota": { code: "insufficient_quota", type: "insufficient_quota" }
}

/**
 * `{error:{code,param,message,type},id,request_id}` (docs/PROTOCOL.md, Error codes). The message carries the native code as
 * `<status> Code: detail`, except for 401 and 429 whose documented bodies are used verbatim.
 *
 * @since 0.1.0
 */
export const compatError = (
  ctx: Ctx,
  status: number,
  nativeCode: string,
  message: string,
  extra?: http.OutgoingHttpHeaders
): void => {
  const mapped = COMPAT_BY_NATIVE_CODE[nativeCode] ?? COMPAT_CODES[status] ??
    { code: "invalid_parameter_error", type: "invalid_request_error" }
  const text = status === 401 || status === 429 ? message : `<${status}> ${nativeCode}: ${message}`
  sendJson(ctx, status, {
    error: { code: mapped.code, param: null, message: text, type: mapped.type },
    id: `chatcmpl-${ctx.requestId}`,
    request_id: ctx.requestId
  }, extra)
}

const OPENAI_TYPES: Record<number, string> = { 401: "invalid_request_error", 429: "requests", 500: "server_error" }

/**
 * The OpenAI envelope, `{error:{message,type,param,code}}` (docs/PROTOCOL.md, OpenAI-compatible transcription).
 * `code` is the OpenAI code (`invalid_api_key`, `rate_limit_exceeded`, `model_not_found`) or null.
 *
 * @since 0.2.0
 */
export const openAiError = (
  ctx: Ctx,
  status: number,
  code: string | null,
  message: string,
  extra?: http.OutgoingHttpHeaders,
  param: string | null = null
): void =>
  sendJson(ctx, status, {
    error: {
      message,
      type: OPENAI_TYPES[status] ?? (status >= 500 ? "server_error" : "invalid_request_error"),
      param,
      code
    }
  }, extra)

/** The endpoints that speak the OpenAI transcription API. */
export const isOpenAi = (ctx: Ctx): boolean => ctx.endpoint === "transcriptions" || ctx.endpoint === "models"

const OPENAI_CODES: Record<string, string> = {
  InvalidApiKey: "invalid_api_key",
  "Throttling.RateQuota": "rate_limit_exceeded",
  ModelNotFound: "model_not_found"
}

/**
 * An error in the envelope of the endpoint (compatible mode, OpenAI transcription, or native).
 *
 * @since 0.1.0
 */
export const apiError = (
  ctx: Ctx,
  status: number,
  code: string,
  message: string,
  extra?: http.OutgoingHttpHeaders
): void =>
  isOpenAi(ctx)
    ? openAiError(ctx, status, OPENAI_CODES[code] ?? null, message, extra)
    : ctx.endpoint === "compatible" || ctx.url.pathname.startsWith("/compatible-mode/")
    ? compatError(ctx, status, code, message, extra)
    : nativeError(ctx, status, code, message, extra)

const xmlEscape = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/**
 * An OSS-style XML error.
 *
 * @since 0.1.0
 */
export const ossError = (
  ctx: Ctx,
  status: number,
  code: string,
  message: string,
  fields: Record<string, string> = {}
): void => {
  const extra = Object.entries(fields).map(([k, v]) => `  <${k}>${xmlEscape(v)}</${k}>\n`).join("")
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${code}</Code>\n  <Message>${
    xmlEscape(message)
  }</Message>\n  <RequestId>${ctx.requestId}</RequestId>\n  <HostId>${ctx.url.host}</HostId>\n${extra}</Error>\n`
  sendText(ctx, status, "application/xml", body, { "x-oss-request-id": ctx.requestId })
}

/**
 * @since 0.1.0
 */
export type Body =
  | { readonly _tag: "Ok"; readonly json: unknown }
  | { readonly _tag: "Invalid" }
  | { readonly _tag: "TooLarge" }
  | { readonly _tag: "Aborted" }

/**
 * Reads and parses a JSON body (up to `limit` bytes).
 *
 * @since 0.1.0
 */
export const readJson = (req: http.IncomingMessage, limit: number): Promise<Body> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    req.on("data", (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > limit) {
        done = true
        req.resume()
        resolve({ _tag: "TooLarge" })
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => {
      if (done) return
      done = true
      const text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")
      if (text.length === 0) return resolve({ _tag: "Ok", json: undefined })
      try {
        resolve({ _tag: "Ok", json: JSON.parse(text) })
      } catch {
        resolve({ _tag: "Invalid" })
      }
    })
    const aborted = () => {
      if (done) return
      done = true
      resolve({ _tag: "Aborted" })
    }
    req.on("error", aborted)
    req.on("close", () => {
      if (!req.complete) aborted()
    })
  })

/**
 * Drains a body that is not needed.
 *
 * @since 0.1.0
 */
export const drain = (req: http.IncomingMessage): Promise<void> =>
  new Promise((resolve) => {
    if (req.readableEnded) return resolve()
    req.on("end", () => resolve())
    req.on("error", () => resolve())
    req.resume()
  })

/**
 * @since 0.1.0
 */
export const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * @since 0.1.0
 */
export const header = (req: http.IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/**
 * Answers a signed result URL as OSS does, from what checking its query found: the document, or OSS XML 403
 * (bad signature, expired) or 404.
 *
 * @since 0.2.0
 * @category utils
 */
export const answerResult = async <Ok extends { readonly _tag: "Ok" }>(
  ctx: Ctx,
  checked: Ok | { readonly _tag: "Expired" | "BadSignature" | "NotFound"; readonly expires?: number },
  document: (ok: Ok) => unknown
): Promise<void> => {
  await ctx.state.clock.sleep(ctx.state.config.latency_ms.result)
  if (checked._tag === "BadSignature") {
    return ossError(
      ctx,
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided."
    )
  }
  if (checked._tag === "Expired") {
    return ossError(ctx, 403, "AccessDenied", "Request has expired.", {
      Expires: new Date(checked.expires! * 1000).toISOString(),
      ServerTime: new Date(ctx.state.clock.now()).toISOString()
    })
  }
  if (checked._tag !== "Ok") return ossError(ctx, 404, "NoSuchKey", "The specified key does not exist.")
  sendJson(ctx, 200, document(checked as Ok))
}
