/**
 * The DashScope endpoints: base URLs by region, bearer auth with a `Redacted` key, and one typed call
 * per endpoint (sync generation in both protocols, async tasks, temporary-upload policies) over the
 * `HttpTransport`, which maps every failure to a core `TranscriptionError`.
 *
 * Retries are deliberately not built in: callers wrap calls in `withRetry`, because an async submit whose
 * outcome is unknown must not be blindly retried.
 *
 * @since 0.1.0
 */
import * as RateController from "@asrflow/core/RateController"
import type { RetryPolicy } from "@asrflow/core/RetryPolicy"
import * as RetryPolicyModule from "@asrflow/core/RetryPolicy"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import { HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import { Config, Context, Effect, Option } from "effect"
import type { ConfigError, Redacted } from "effect"
import type { Connection } from "./DashScopeAccount.js"
import * as HttpTransport from "./HttpTransport.js"
import type { CallOptions, WireResponse } from "./HttpTransport.js"
import * as Wire from "./internal/schemas.js"
import type { BaseUrls, Region } from "./Regions.js"
import * as Regions from "./Regions.js"

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
    /** The account's part of a rate lane: a hash of the key, never the key. */
    readonly account: string
    readonly baseUrls: BaseUrls
    /** A client without credentials, for OSS uploads and signed result URLs. Never send the key there. */
    readonly unauthenticated: HttpClient.HttpClient
    /** `POST {compatible}/chat/completions` without streaming. */
    readonly postCompatible: (
      body: Wire.CompatibleRequest | HttpBody.HttpBody,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<Wire.CompatibleResponse>, TranscriptionError>
    /** `POST {compatible}/chat/completions` with `stream: true`; returns every chunk. */
    readonly streamCompatible: (
      body: Wire.CompatibleRequest | HttpBody.HttpBody,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<ReadonlyArray<Wire.CompatibleChunk>>, TranscriptionError>
    /** `POST {native}/services/aigc/multimodal-generation/generation`. */
    readonly postNative: (
      body: Wire.NativeRequest | HttpBody.HttpBody,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<Wire.NativeResponse>, TranscriptionError>
    /** The same with `X-DashScope-SSE: enable`; returns every event. */
    readonly streamNative: (
      body: Wire.NativeRequest | HttpBody.HttpBody,
      options?: CallOptions
    ) => Effect.Effect<WireResponse<ReadonlyArray<Wire.NativeResponse>>, TranscriptionError>
    /** `POST {native}/services/audio/asr/transcription` with `X-DashScope-Async: enable` (one file or a batch). */
    readonly submitTask: (
      body: Wire.SubmitRequest | Wire.BatchSubmitRequest,
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

  const { execute, executeSse } = HttpTransport.make({ client: httpClient, provider, timeoutMs: defaultTimeoutMs })

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

  // a body already made (a streamed data URI) goes as it is; anything else as JSON
  const withBody = (body: unknown) => (request: HttpClientRequest.HttpClientRequest) =>
    HttpBody.isHttpBody(body)
      ? HttpClientRequest.setBody(request, body)
      : HttpClientRequest.bodyUnsafeJson(request, body)

  const postCompatible = (body: Wire.CompatibleRequest | HttpBody.HttpBody, callOptions?: CallOptions) =>
    Effect.flatMap(compatibleUrl(callOptions), (url) =>
      execute(
        HttpClientRequest.post(url).pipe(HttpClientRequest.acceptJson, withBody(body)),
        Wire.CompatibleResponse,
        callOptions
      ))

  const streamCompatible = (body: Wire.CompatibleRequest | HttpBody.HttpBody, callOptions?: CallOptions) =>
    Effect.flatMap(compatibleUrl(callOptions), (url) =>
      executeSse(
        HttpClientRequest.post(url).pipe(withBody(body)),
        Wire.CompatibleChunk,
        "compatible",
        callOptions
      ))

  const generationPath = "/services/aigc/multimodal-generation/generation"

  const postNative = (body: Wire.NativeRequest | HttpBody.HttpBody, callOptions?: CallOptions) =>
    execute(
      HttpClientRequest.post(nativeUrl(generationPath)).pipe(HttpClientRequest.acceptJson, withBody(body)),
      Wire.NativeResponse,
      callOptions
    )

  const streamNative = (body: Wire.NativeRequest | HttpBody.HttpBody, callOptions?: CallOptions) =>
    executeSse(
      HttpClientRequest.post(nativeUrl(generationPath)).pipe(withBody(body)),
      Wire.NativeResponse,
      "native",
      callOptions
    )

  const submitTask = (body: Wire.SubmitRequest | Wire.BatchSubmitRequest, callOptions?: CallOptions) =>
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
    account: RateController.accountOf(options.apiKey),
    baseUrls,
    unauthenticated,
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
// Configuration
// =============================================================================

/** Base URL overrides from the environment: `DASHSCOPE_HTTP_BASE_URL` and `DASHSCOPE_COMPATIBLE_BASE_URL`. */
const envBaseUrls: Effect.Effect<{
  readonly httpBaseUrl: string | undefined
  readonly compatibleBaseUrl: string | undefined
}, ConfigError.ConfigError> = Effect.all({
  httpBaseUrl: Config.option(Config.string("DASHSCOPE_HTTP_BASE_URL")).pipe(Effect.map(Option.getOrUndefined)),
  compatibleBaseUrl: Config.option(Config.string("DASHSCOPE_COMPATIBLE_BASE_URL")).pipe(
    Effect.map(Option.getOrUndefined)
  )
})

/**
 * The client for a DashScope provider's config (`qwen`, `funasr`) and a key. Base URLs come from the config's `base_url`, then the
 * environment (`DASHSCOPE_HTTP_BASE_URL`, `DASHSCOPE_COMPATIBLE_BASE_URL`), then the region preset; an
 * explicit native base URL alone never sends compatible calls elsewhere.
 *
 * @since 0.2.0
 * @category constructors
 */
export const fromConfig = (
  config: Connection,
  apiKey: Redacted.Redacted<string>,
  overrides: { readonly timeoutMs?: number | undefined; readonly provider?: string | undefined } = {}
): Effect.Effect<DashScopeClient.Service, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Effect.flatMap(envBaseUrls, (env) =>
    make({
      apiKey,
      region: config.region,
      workspace: config.workspace,
      httpBaseUrl: config.base_url?.native ?? env.httpBaseUrl,
      compatibleBaseUrl: config.base_url?.compatible ??
        (config.base_url?.native !== undefined ? undefined : env.compatibleBaseUrl),
      timeoutMs: overrides.timeoutMs ?? config.timeout_secs * 1000,
      provider: overrides.provider
    }))

// =============================================================================
// Retry
// =============================================================================

/**
 * Retries retryable `TranscriptionError`s (transport, 408, 429 throttling, 5xx) with the policy's schedule,
 * honouring `retryAfterMs`. 400/401/403/404/413/415 and quota 429s are never retried. Each retry is logged.
 *
 * The schedule is set up only once a first try has failed with a retryable error, and then sees that failure
 * first, as if it had run from the start: most requests succeed at once, and setting up a retry costs the
 * runtime about 25 steps for each of them.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withRetry =
  (policy: RetryPolicy) =>
  <A, R>(effect: Effect.Effect<A, TranscriptionError, R>): Effect.Effect<A, TranscriptionError, R> =>
    Effect.suspend(() => {
      let attempts = 0
      const tried = Effect.tapError(effect, (error) => {
        if (!error.isRetryable) return Effect.void
        attempts += 1
        return attempts <= policy.attempts
          ? Effect.logWarning(`retrying after ${error.reason}${error.status ? ` (HTTP ${error.status})` : ""}`).pipe(
            Effect.annotateLogs({
              attempt: attempts,
              of: policy.attempts,
              input: error.input,
              requestId: error.requestId
            })
          )
          : Effect.void
      })
      const retryable = (error: TranscriptionError) => error.isRetryable
      return Effect.catchIf(tried, retryable, (first) => {
        let replayed = false
        const again = Effect.suspend(() => {
          if (replayed) return tried
          replayed = true
          return Effect.fail(first)
        })
        return Effect.retry(again, { schedule: RetryPolicyModule.toSchedule(policy), while: retryable })
      })
    })
