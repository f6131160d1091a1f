/**
 * The DashScope HTTP client: base URLs by region, bearer auth with a `Redacted` key, typed wire calls
 * and one error mapping (HTTP status + DashScope `code`, both envelopes) to core `TranscriptionError`.
 *
 * Retries are deliberately not built in: callers wrap calls in `withRetry`, because an async submit whose
 * outcome is unknown must not be blindly retried.
 *
 * @since 0.1.0
 */
import type { RetryPolicy } from "@asrflow/core/RetryPolicy"
import * as RetryPolicyModule from "@asrflow/core/RetryPolicy"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import type { FileSystem, Path } from "@effect/platform"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import type { HttpClientError, HttpClientResponse } from "@effect/platform"
import { Chunk, Clock, Config, Context, Duration, Effect, Layer, Option, Ref, Schema, Stream } from "effect"
import type { ConfigError, Redacted } from "effect"
import type { MissingApiKeyError } from "./Credentials.js"
import * as Credentials from "./Credentials.js"
import * as Errors from "./internal/errors.js"
import * as Wire from "./internal/schemas.js"
import * as Sse from "./internal/sse.js"
import type { BaseUrls, Region } from "./Regions.js"
import * as Regions from "./Regions.js"

// =============================================================================
// Models
// =============================================================================

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
 * @since 0.1.0
 * @category models
 */
export type SseFraming = "compatible" | "native"

/**
 * @since 0.1.0
 * @category context
 */
export class DashScopeClient extends Context.Tag("@asrflow/providers/DashScopeClient")<
  DashScopeClient,
  DashScopeClient.Service
>() {}

/**
 * @since 0.1.0
 */
export declare namespace DashScopeClient {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly provider: string
    readonly region: Region
    readonly baseUrls: BaseUrls
    /** The client with bearer auth and the workspace header; requests carry absolute URLs. */
    readonly httpClient: HttpClient.HttpClient
    /** A client without credentials, for OSS uploads and signed result URLs. Never send the key there. */
    readonly unauthenticated: HttpClient.HttpClient
    /** Sends a request through `httpClient` and decodes a JSON body; maps every failure. */
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
    /** `POST {compatible}/chat/completions` without streaming. */
    readonly postCompatible: (
      body: Wire.CompatibleRequest,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<Wire.CompatibleResponse>, TranscriptionError>
    /** `POST {compatible}/chat/completions` with `stream: true`; returns every chunk. */
    readonly streamCompatible: (
      body: Wire.CompatibleRequest,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<ReadonlyArray<Wire.CompatibleChunk>>, TranscriptionError>
    /** `POST {native}/services/aigc/multimodal-generation/generation`. */
    readonly postNative: (
      body: Wire.NativeRequest,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<Wire.NativeResponse>, TranscriptionError>
    /** The same with `X-DashScope-SSE: enable`; returns every event. */
    readonly streamNative: (
      body: Wire.NativeRequest,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<ReadonlyArray<Wire.NativeResponse>>, TranscriptionError>
    /** `POST {native}/services/audio/asr/transcription` with `X-DashScope-Async: enable`. */
    readonly submitTask: (
      body: Wire.SubmitRequest,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<Wire.TaskResponse>, TranscriptionError>
    /** `GET {native}/tasks/{id}`. */
    readonly getTask: (
      taskId: string,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<Wire.TaskResponse>, TranscriptionError>
    /** `POST {native}/tasks/{id}/cancel`. */
    readonly cancelTask: (
      taskId: string,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<Wire.CancelResponse>, TranscriptionError>
    /** `GET {native}/tasks?…`. */
    readonly listTasks: (
      params: Wire.ListTasksParams,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<Wire.TaskListResponse>, TranscriptionError>
    /** `GET {native}/uploads?action=getPolicy&model=…`. */
    readonly getUploadPolicy: (
      model: string,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<Wire.UploadPolicyResponse>, TranscriptionError>
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  readonly region?: Region | undefined
  readonly workspace?: string | undefined
  /** Native base URL (ends in `/api/v1`); overrides the region preset. */
  readonly httpBaseUrl?: string | undefined
  /** Compatible base URL (ends in `/compatible-mode/v1`); overrides the region preset. */
  readonly compatibleBaseUrl?: string | undefined
  /** Per-request timeout; default 120 s. */
  readonly timeoutMs?: number | undefined
  /** The provider name errors carry; default `qwen`. */
  readonly provider?: string | undefined
}

// =============================================================================
// Constructors
// =============================================================================

const userAgent = "asrflow/0.1.0"

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
 * Builds the client service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(options: Options) {
  const provider = options.provider ?? "qwen"
  const region = options.region ?? "cn-beijing"
  const baseUrls = Regions.baseUrls({
    region,
    workspace: options.workspace,
    httpBaseUrl: options.httpBaseUrl,
    compatibleBaseUrl: options.compatibleBaseUrl
  })
  const defaultTimeoutMs = options.timeoutMs ?? 120_000
  const base = yield* HttpClient.HttpClient
  const unauthenticated = base.pipe(HttpClient.mapRequest(HttpClientRequest.setHeader("user-agent", userAgent)))
  const httpClient = base.pipe(
    HttpClient.mapRequest((request) => {
      const authed = request.pipe(
        HttpClientRequest.bearerToken(options.apiKey),
        HttpClientRequest.setHeader("user-agent", userAgent)
      )
      return options.workspace
        ? HttpClientRequest.setHeader(authed, "X-DashScope-WorkSpace", options.workspace)
        : authed
    })
  )

  const labelOf = (request: HttpClientRequest.HttpClientRequest, callOptions: CallOptions | undefined) =>
    callOptions?.input ?? `${request.method} ${request.url.replace(/^https?:\/\/[^/]+/, "")}`

  const fromHttpClientError = (input: string, error: HttpClientError.HttpClientError): TranscriptionError =>
    new TranscriptionError({
      provider,
      input,
      // a ResponseError here means the body could not be read (we parse JSON ourselves): a broken connection
      reason: error._tag === "RequestError" && error.reason !== "Transport" ? "InvalidRequest" : "Transport",
      ...(error._tag === "ResponseError" ? { status: error.response.status } : {}),
      description: error.description ?? error.message,
      cause: error.cause
    })

  const withTimeout = (input: string, callOptions: CallOptions | undefined) =>
  <A, R>(
    effect: Effect.Effect<A, TranscriptionError, R>
  ) => {
    const ms = callOptions?.timeoutMs ?? defaultTimeoutMs
    return Effect.timeoutFail(effect, {
      duration: Duration.millis(ms),
      onTimeout: () =>
        new TranscriptionError({
          provider,
          input,
          reason: "Timeout",
          description: `no complete answer within ${ms} ms`
        })
    })
  }

  const prepare = (request: HttpClientRequest.HttpClientRequest, callOptions: CallOptions | undefined) =>
    callOptions?.ossResolve
      ? HttpClientRequest.setHeader(request, "X-DashScope-OssResourceResolve", "enable")
      : request

  const failure = (input: string, response: HttpClientResponse.HttpClientResponse, text: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.fail(Errors.fromResponse({
        provider,
        input,
        status: response.status,
        body: Option.getOrUndefined(parseJson(text)),
        text,
        headerRequestId: response.headers["x-request-id"],
        retryAfterMs: Errors.parseRetryAfter(response.headers["retry-after"], Number(now))
      })))

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
      const response = yield* httpClient.execute(prepare(request, callOptions))
      const text = yield* response.text
      if (response.status < 200 || response.status >= 300) return yield* failure(input, response, text)
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
      if (decoded._tag === "Left") {
        if (Errors.isErrorEnvelope(raw)) return yield* failure(input, response, text)
        return yield* decodeFailure(
          input,
          response.status,
          Errors.envelopeOf(raw).requestId ?? headerRequestId,
          `unexpected response shape: ${decoded.left.message}`
        )
      }
      return {
        value: decoded.right,
        raw,
        requestId: Errors.envelopeOf(raw).requestId ?? headerRequestId,
        status: response.status
      } satisfies WireResponse<A>
    }).pipe(
      Effect.catchTags({
        RequestError: (error) => Effect.fail(fromHttpClientError(input, error)),
        ResponseError: (error) => Effect.fail(fromHttpClientError(input, error))
      }),
      withTimeout(input, callOptions)
    )
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
    const idleMs = callOptions?.timeoutMs ?? defaultTimeoutMs
    return Effect.gen(function*() {
      const response = yield* httpClient.execute(prepare(sseRequest, callOptions)).pipe(
        Effect.catchTags({
          RequestError: (error) => Effect.fail(fromHttpClientError(input, error)),
          ResponseError: (error) => Effect.fail(fromHttpClientError(input, error))
        }),
        withTimeout(input, callOptions)
      )
      if (response.status < 200 || response.status >= 300) {
        return yield* Effect.flatMap(response.text, (text) => failure(input, response, text))
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
              const now = yield* Clock.currentTimeMillis
              return yield* Effect.fail(Errors.fromResponse({
                provider,
                input,
                status: Sse.declaredStatus(event),
                body: parsed.value,
                headerRequestId,
                retryAfterMs: Errors.parseRetryAfter(response.headers["retry-after"], Number(now))
              }))
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

  const compatibleUrl = (callOptions: CallOptions | undefined) =>
    baseUrls.compatible === undefined
      ? Effect.fail(
        new TranscriptionError({
          provider,
          input: callOptions?.input ?? "chat/completions",
          reason: "InvalidRequest",
          description: `the ${region} region has no OpenAI-compatible endpoint; use protocol: native`
        })
      )
      : Effect.succeed(`${baseUrls.compatible}/chat/completions`)

  const nativeUrl = (path: string) => `${baseUrls.native}${path}`

  const postCompatible = (body: Wire.CompatibleRequest, callOptions?: CallOptions) =>
    Effect.flatMap(compatibleUrl(callOptions), (url) =>
      execute(
        HttpClientRequest.post(url).pipe(HttpClientRequest.acceptJson, HttpClientRequest.bodyUnsafeJson(body)),
        Wire.CompatibleResponse,
        callOptions
      ))

  const streamCompatible = (body: Wire.CompatibleRequest, callOptions?: CallOptions) =>
    Effect.flatMap(compatibleUrl(callOptions), (url) =>
      executeSse(
        HttpClientRequest.post(url).pipe(HttpClientRequest.bodyUnsafeJson(body)),
        Wire.CompatibleChunk,
        "compatible",
        callOptions
      ))

  const generationPath = "/services/aigc/multimodal-generation/generation"

  const postNative = (body: Wire.NativeRequest, callOptions?: CallOptions) =>
    execute(
      HttpClientRequest.post(nativeUrl(generationPath)).pipe(
        HttpClientRequest.acceptJson,
        HttpClientRequest.bodyUnsafeJson(body)
      ),
      Wire.NativeResponse,
      callOptions
    )

  const streamNative = (body: Wire.NativeRequest, callOptions?: CallOptions) =>
    executeSse(
      HttpClientRequest.post(nativeUrl(generationPath)).pipe(HttpClientRequest.bodyUnsafeJson(body)),
      Wire.NativeResponse,
      "native",
      callOptions
    )

  const submitTask = (body: Wire.SubmitRequest, callOptions?: CallOptions) =>
    execute(
      HttpClientRequest.post(nativeUrl("/services/audio/asr/transcription")).pipe(
        HttpClientRequest.acceptJson,
        HttpClientRequest.setHeader("X-DashScope-Async", "enable"),
        HttpClientRequest.bodyUnsafeJson(body)
      ),
      Wire.TaskResponse,
      callOptions
    )

  const getTask = (taskId: string, callOptions?: CallOptions) =>
    execute(
      HttpClientRequest.get(nativeUrl(`/tasks/${encodeURIComponent(taskId)}`)).pipe(HttpClientRequest.acceptJson),
      Wire.TaskResponse,
      { input: taskId, ...callOptions }
    )

  const cancelTask = (taskId: string, callOptions?: CallOptions) =>
    execute(
      HttpClientRequest.post(nativeUrl(`/tasks/${encodeURIComponent(taskId)}/cancel`)).pipe(
        HttpClientRequest.acceptJson
      ),
      Wire.CancelResponse,
      { input: taskId, ...callOptions }
    )

  const listTasks = (params: Wire.ListTasksParams, callOptions?: CallOptions) =>
    execute(
      HttpClientRequest.get(nativeUrl("/tasks")).pipe(
        HttpClientRequest.acceptJson,
        HttpClientRequest.setUrlParams(
          Object.fromEntries(
            Object.entries(params).filter(([, value]) => value !== undefined).map((
              [key, value]
            ) => [key, String(value)])
          )
        )
      ),
      Wire.TaskListResponse,
      callOptions
    )

  const getUploadPolicy = (model: string, callOptions?: CallOptions) =>
    execute(
      HttpClientRequest.get(nativeUrl("/uploads")).pipe(
        HttpClientRequest.acceptJson,
        HttpClientRequest.setUrlParams({ action: "getPolicy", model })
      ),
      Wire.UploadPolicyResponse,
      callOptions
    )

  return DashScopeClient.of({
    provider,
    region,
    baseUrls,
    httpClient,
    unauthenticated,
    execute,
    executeSse,
    postCompatible,
    streamCompatible,
    postNative,
    streamNative,
    submitTask,
    getTask,
    cancelTask,
    listTasks,
    getUploadPolicy
  })
})

// =============================================================================
// Layers
// =============================================================================

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<DashScopeClient, never, HttpClient.HttpClient> =>
  Layer.effect(DashScopeClient, make(options))

/**
 * Base URL overrides from the environment: `DASHSCOPE_HTTP_BASE_URL` and `DASHSCOPE_COMPATIBLE_BASE_URL`.
 *
 * @since 0.1.0
 * @category utils
 */
export const envBaseUrls: Effect.Effect<{
  readonly httpBaseUrl: string | undefined
  readonly compatibleBaseUrl: string | undefined
}, ConfigError.ConfigError> = Effect.all({
  httpBaseUrl: Config.option(Config.string("DASHSCOPE_HTTP_BASE_URL")).pipe(Effect.map(Option.getOrUndefined)),
  compatibleBaseUrl: Config.option(Config.string("DASHSCOPE_COMPATIBLE_BASE_URL")).pipe(
    Effect.map(Option.getOrUndefined)
  )
})

/**
 * Resolves the key (see `Credentials`) and the environment's base URL overrides; explicit options win.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Omit<Options, "apiKey"> & { readonly apiKey?: Redacted.Redacted<string> | string | undefined }
): Layer.Layer<
  DashScopeClient,
  MissingApiKeyError | ConfigError.ConfigError,
  HttpClient.HttpClient | FileSystem.FileSystem | Path.Path
> =>
  Layer.effect(
    DashScopeClient,
    Effect.gen(function*() {
      const { key } = yield* Credentials.resolveApiKey(options.apiKey)
      const env = yield* envBaseUrls
      return yield* make({
        ...options,
        apiKey: key,
        httpBaseUrl: options.httpBaseUrl ?? env.httpBaseUrl,
        compatibleBaseUrl: options.compatibleBaseUrl ?? env.compatibleBaseUrl
      })
    })
  )

// =============================================================================
// Retry
// =============================================================================

/**
 * Retries retryable `TranscriptionError`s (transport, 408, 429 throttling, 5xx) with the policy's schedule,
 * honouring `retryAfterMs`. 400/401/403/404/413/415 and quota 429s are never retried. Each retry is logged.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withRetry = (
  policy: RetryPolicy,
  options?: { readonly onRetry?: (error: TranscriptionError, attempt: number) => Effect.Effect<void> }
) =>
<A, R>(effect: Effect.Effect<A, TranscriptionError, R>): Effect.Effect<A, TranscriptionError, R> =>
  Effect.flatMap(Ref.make(0), (attempts) =>
    effect.pipe(
      Effect.tapError((error) =>
        error.isRetryable
          ? Ref.updateAndGet(attempts, (n) => n + 1).pipe(
            Effect.tap((attempt) =>
              attempt <= policy.attempts
                ? Effect.logWarning(`retrying after ${error.reason}${error.status ? ` (HTTP ${error.status})` : ""}`)
                  .pipe(
                    Effect.annotateLogs({
                      attempt,
                      of: policy.attempts,
                      input: error.input,
                      requestId: error.requestId
                    }),
                    Effect.zipRight(options?.onRetry ? options.onRetry(error, attempt) : Effect.void)
                  )
                : Effect.void
            )
          )
          : Effect.void
      ),
      Effect.retry({ schedule: RetryPolicyModule.toSchedule(policy), while: (error) => error.isRetryable })
    ))
