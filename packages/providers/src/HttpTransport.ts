/**
 * The HTTP transport under the DashScope endpoints: send a request, read a JSON body or a stream of
 * server-sent events, bound it with a timeout, and map every failure (HTTP status + DashScope `code`,
 * both envelopes, transport errors, undecodable bodies) to one core `TranscriptionError`.
 *
 * @since 0.2.0
 */
import { TranscriptionError } from "@asrflow/core/Transcriber"
import { HttpClientRequest } from "@effect/platform"
import type { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { Chunk, Clock, Duration, Effect, Option, Ref, Schema, Stream } from "effect"
import * as CallDeadlines from "./internal/callDeadlines.js"
import * as Errors from "./internal/errors.js"
import * as Sse from "./internal/sse.js"

/**
 * A decoded wire response, with the untouched body and the request id.
 *
 * @since 0.1.0
 * @category models
 */
export interface WireResponse<A> {
  readonly value: A
  /** The parsed body as received (for streams: the array of parsed events' data). */
  readonly raw: unknown
  readonly requestId: string | undefined
  readonly status: number
}

/**
 * Per-call options.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallOptions {
  /** What the call is for (an item id or path); it labels errors. Defaults to the request path. */
  readonly input?: string | undefined
  /** Overrides the client's per-request timeout. */
  readonly timeoutMs?: number | undefined
  /** Adds `X-DashScope-OssResourceResolve: enable` (needed when the audio is an `oss://` URL). */
  readonly ossResolve?: boolean | undefined
}

/**
 * The two SSE framings: compatible mode (`data: {...}` … `data: [DONE]`) and native mode
 * (`X-DashScope-SSE: enable`, no sentinel, `event:error` terminal).
 *
 * @since 0.1.0
 * @category models
 */
export type SseFraming = "compatible" | "native"

/**
 * @since 0.2.0
 * @category models
 */
export interface Transport {
  /** Sends a request and decodes a JSON body; maps every failure. */
  readonly execute: <A, I>(
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I>,
    options?: CallOptions
  ) => Effect.Effect<WireResponse<A>, TranscriptionError>
  /**
   * Sends a request and collects its SSE events, failing on an in-stream error event. The timeout bounds
   * the wait for the response headers and every gap between chunks, not the whole stream.
   */
  readonly executeSse: <A, I>(
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I>,
    framing: SseFraming,
    options?: CallOptions
  ) => Effect.Effect<WireResponse<ReadonlyArray<A>>, TranscriptionError>
}

const networkCodes: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "the host name does not resolve",
  EAI_AGAIN: "the host name does not resolve (DNS is unavailable)",
  ECONNRESET: "the connection was reset",
  EHOSTUNREACH: "the host is unreachable",
  ENETUNREACH: "the network is unreachable",
  ETIMEDOUT: "the connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "the connection timed out",
  UND_ERR_SOCKET: "the connection was closed",
  CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's TLS certificate is self-signed"
}

/**
 * What went wrong on the network, in words, from a transport failure's cause chain (`connection refused
 * (ECONNREFUSED)`), when a known system or undici code is in it.
 *
 * @since 0.2.0
 * @category utils
 */
export const networkFailure = (cause: unknown): string | undefined => {
  let current: unknown = cause
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { readonly code?: unknown }).code
    if (typeof code === "string" && code in networkCodes) return `${networkCodes[code]} (${code})`
    current = (current as { readonly cause?: unknown }).cause
  }
  return undefined
}

const isJsonContent = (text: string): boolean => {
  const first = text.trimStart()[0]
  return first === "{" || first === "["
}

const parseJson = (text: string): Option.Option<unknown> => {
  if (!isJsonContent(text)) return Option.none()
  try {
    return Option.some(JSON.parse(text))
  } catch {
    return Option.none()
  }
}

/**
 * A transport over an (authenticated) `HttpClient`. `provider` labels the errors.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: {
  readonly client: HttpClient.HttpClient
  readonly provider: string
  readonly timeoutMs: number
}): Transport => {
  const { client, provider } = options
  // one watcher per time limit for all of this client's calls, not a race per call (internal/callDeadlines)
  const deadlines = CallDeadlines.byLimit()

  const labelOf = (request: HttpClientRequest.HttpClientRequest, callOptions: CallOptions | undefined) =>
    callOptions?.input ?? `${request.method} ${request.url.replace(/^https?:\/\/[^/]+/, "")}`

  const fromHttpClientError = (input: string, error: HttpClientError.HttpClientError): TranscriptionError =>
    new TranscriptionError({
      provider,
      input,
      // a ResponseError here means the body could not be read (we parse JSON ourselves): a broken connection
      reason: error._tag === "RequestError" && error.reason !== "Transport" ? "InvalidRequest" : "Transport",
      ...(error._tag === "ResponseError" ? { status: error.response.status } : {}),
      description: [networkFailure(error.cause), error.description ?? error.message].filter(Boolean).join(": "),
      cause: error.cause
    })

  const mapHttpClientErrors = (input: string) =>
  <A, R>(
    effect: Effect.Effect<A, HttpClientError.HttpClientError | TranscriptionError, R>
  ): Effect.Effect<A, TranscriptionError, R> =>
    Effect.catchTags(effect, {
      RequestError: (error) => Effect.fail(fromHttpClientError(input, error)),
      ResponseError: (error) => Effect.fail(fromHttpClientError(input, error))
    })

  const withTimeout = (input: string, callOptions: CallOptions | undefined) =>
  <A, R>(
    effect: Effect.Effect<A, TranscriptionError, R>
  ) => {
    const ms = callOptions?.timeoutMs ?? options.timeoutMs
    return deadlines(ms)(effect, () =>
      new TranscriptionError({
        provider,
        input,
        reason: "Timeout",
        description: `no complete answer within ${ms} ms`
      }))
  }

  const prepare = (request: HttpClientRequest.HttpClientRequest, callOptions: CallOptions | undefined) =>
    callOptions?.ossResolve
      ? HttpClientRequest.setHeader(request, "X-DashScope-OssResourceResolve", "enable")
      : request

  const failure = (
    input: string,
    response: HttpClientResponse.HttpClientResponse,
    fields: { readonly body: unknown; readonly text?: string | undefined; readonly status: number | undefined }
  ) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.fail(Errors.fromResponse({
        provider,
        input,
        ...fields,
        headerRequestId: response.headers["x-request-id"],
        retryAfterMs: Errors.parseRetryAfter(response.headers["retry-after"], Number(now))
      })))

  const failureOfBody = (input: string, response: HttpClientResponse.HttpClientResponse, text: string) =>
    failure(input, response, { status: response.status, body: Option.getOrUndefined(parseJson(text)), text })

  const decodeFailure = (input: string, status: number, requestId: string | undefined, description: string) =>
    new TranscriptionError({
      provider,
      input,
      reason: "Decode",
      status,
      ...(requestId !== undefined ? { requestId } : {}),
      description
    })

  const execute = <A, I>(
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I>,
    callOptions?: CallOptions
  ): Effect.Effect<WireResponse<A>, TranscriptionError> => {
    const input = labelOf(request, callOptions)
    return Effect.gen(function*() {
      const response = yield* client.execute(prepare(request, callOptions))
      const text = yield* response.text
      if (response.status < 200 || response.status >= 300) return yield* failureOfBody(input, response, text)
      const parsed = parseJson(text)
      const headerRequestId = response.headers["x-request-id"]
      if (Option.isNone(parsed)) {
        return yield* decodeFailure(
          input,
          response.status,
          headerRequestId,
          `expected JSON, got: ${text.slice(0, 200)}`
        )
      }
      const raw = parsed.value
      const decoded = Schema.decodeUnknownEither(schema)(raw)
      const requestId = Errors.envelopeOf(raw).requestId ?? headerRequestId
      if (decoded._tag === "Left") {
        if (Errors.isErrorEnvelope(raw)) return yield* failureOfBody(input, response, text)
        return yield* decodeFailure(
          input,
          response.status,
          requestId,
          `unexpected response shape: ${decoded.left.message}`
        )
      }
      return { value: decoded.right, raw, requestId, status: response.status }
    }).pipe(mapHttpClientErrors(input), withTimeout(input, callOptions))
  }

  const executeSse = <A, I>(
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I>,
    framing: SseFraming,
    callOptions?: CallOptions
  ): Effect.Effect<WireResponse<ReadonlyArray<A>>, TranscriptionError> => {
    const input = labelOf(request, callOptions)
    const sseRequest = request.pipe(
      HttpClientRequest.setHeader("Accept", "text/event-stream"),
      HttpClientRequest.setHeader("X-Accel-Buffering", "no"),
      framing === "native" ? HttpClientRequest.setHeader("X-DashScope-SSE", "enable") : (r) => r
    )
    const idleMs = callOptions?.timeoutMs ?? options.timeoutMs
    return Effect.gen(function*() {
      const response = yield* client.execute(prepare(sseRequest, callOptions)).pipe(
        mapHttpClientErrors(input),
        withTimeout(input, callOptions)
      )
      if (response.status < 200 || response.status >= 300) {
        return yield* Effect.flatMap(response.text, (text) => failureOfBody(input, response, text))
      }
      const headerRequestId = response.headers["x-request-id"]
      const raws = yield* Ref.make<Array<unknown>>([])
      // a long answer may stream for longer than the timeout; what must not happen is a stall between events
      const bytes = response.stream.pipe(
        Stream.timeoutFail(
          () =>
            new TranscriptionError({
              provider,
              input,
              reason: "Timeout",
              description: `the stream stalled: nothing received for ${idleMs} ms`
            }),
          Duration.millis(idleMs)
        )
      )
      const values = yield* Sse.events(bytes).pipe(
        Stream.takeWhile((event) => !(framing === "compatible" && event.data.trim() === "[DONE]")),
        Stream.filter((event) => event.data.trim() !== ""),
        Stream.mapEffect((event) =>
          Effect.gen(function*() {
            const parsed = parseJson(event.data)
            if (Option.isNone(parsed)) {
              return yield* decodeFailure(
                input,
                response.status,
                headerRequestId,
                `bad SSE data: ${event.data.slice(0, 200)}`
              )
            }
            yield* Ref.update(raws, (all) => [...all, parsed.value])
            if (event.event === "error" || Errors.isErrorEnvelope(parsed.value)) {
              return yield* failure(input, response, { status: Sse.declaredStatus(event), body: parsed.value })
            }
            const decoded = Schema.decodeUnknownEither(schema)(parsed.value)
            if (decoded._tag === "Left") {
              return yield* decodeFailure(
                input,
                response.status,
                headerRequestId,
                `unexpected stream event: ${decoded.left.message}`
              )
            }
            return decoded.right
          })
        ),
        Stream.runCollect
      )
      const raw = yield* Ref.get(raws)
      const requestId = raw.map((body) => Errors.envelopeOf(body).requestId).find((id) => id !== undefined) ??
        headerRequestId
      return { value: Chunk.toReadonlyArray(values), raw, requestId, status: response.status }
    }).pipe(Effect.catchTag("ResponseError", (error) => Effect.fail(fromHttpClientError(input, error))))
  }

  return { execute, executeSse }
}
