/**
 * The wire of an OpenAI-compatible transcription server (docs/PROTOCOL.md, OpenAI-compatible transcription):
 * `POST {base}/audio/transcriptions` as `multipart/form-data`, the file part streamed from disk with an exact
 * `Content-Length` (never the whole file in memory), arrays as `name[]`; `GET {base}/models`; and the one mapping
 * of every failure (the `{error:{message,type,param,code}}` envelope, `Retry-After`, transport errors) to a core
 * `TranscriptionError`. The key goes only to the configured server, as the bearer token.
 *
 * @since 0.2.0
 */
import * as RateController from "@asrflow/core/RateController"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import type { TranscriptionErrorReason } from "@asrflow/core/Transcriber"
import type { FileSystem, HttpClient } from "@effect/platform"
import { HttpClientRequest } from "@effect/platform"
import { Clock, Effect, Option, Redacted, Stream } from "effect"
import * as CallDeadlines from "./internal/callDeadlines.js"
import { parseRetryAfter } from "./internal/errors.js"
import { randomId } from "./internal/randomId.js"
import { multipart } from "./TempUpload.js"

/**
 * An answer: its status, headers and body text.
 *
 * @since 0.2.0
 * @category models
 */
export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
}

/**
 * A file to transcribe and the form fields that go with it.
 *
 * @since 0.2.0
 * @category models
 */
export interface Upload {
  readonly file: string
  readonly fileName: string
  readonly fileType: string
  readonly fileSize: number
  readonly fields: ReadonlyArray<readonly [string, string]>
  /** The file's bytes when the run holds them (`InFlightAudio`): sent as they are, the file is not read. */
  readonly bytes?: Uint8Array | undefined
}

const userAgent = "asrflow/0.2.0"

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** `{error:{message,type,param,code}}`, and the flat `{detail}`/`{message}` some servers answer with. */
const envelopeOf = (body: unknown): { readonly message?: string; readonly code?: string; readonly type?: string } => {
  if (typeof body !== "object" || body === null) return {}
  const record = body as Record<string, unknown>
  const error = typeof record.error === "object" && record.error !== null ? record.error as Record<string, unknown> : {}
  const text = (value: unknown) => typeof value === "string" && value !== "" ? value : undefined
  const message = text(error.message) ?? text(record.detail) ?? text(record.message)
  const code = text(error.code)
  const type = text(error.type)
  return { ...(message ? { message } : {}), ...(code ? { code } : {}), ...(type ? { type } : {}) }
}

const reasonOf = (status: number, code: string | undefined, type: string | undefined): TranscriptionErrorReason => {
  if (code === "insufficient_quota" || type === "insufficient_quota") return "QuotaExhausted"
  if (status === 401) return "Unauthorized"
  if (status === 403) return "Forbidden"
  if (status === 408) return "Timeout"
  if (status === 413 || status === 415) return "InvalidAudio"
  if (status === 429) return "Throttled"
  if (status >= 500) return "ServerError"
  return "InvalidRequest"
}

/**
 * The error of a failed answer. A 401 says where the key came from is the thing to check.
 *
 * @since 0.2.0
 * @category constructors
 */
export const failure = (answer: Answer, input: string, now: number): TranscriptionError => {
  const envelope = envelopeOf(parseJson(answer.text))
  const reason = reasonOf(answer.status, envelope.code, envelope.type)
  const ms = Number(answer.headers["retry-after-ms"])
  const retryAfterMs = Number.isFinite(ms) && ms >= 0 ? ms : parseRetryAfter(answer.headers["retry-after"], now)
  const detail = envelope.message ?? (answer.text.slice(0, 300) || undefined)
  const description = reason === "Unauthorized"
    ? `the server rejected the API key (set OPENAI_API_KEY to a key for this server)${
      detail ? `; server said: ${detail}` : ""
    }`
    : reason === "QuotaExhausted"
    ? `the account is out of quota or credit (not retried)${detail ? `; server said: ${detail}` : ""}`
    : detail
  const requestId = answer.headers["x-request-id"]
  return new TranscriptionError({
    provider: "openai",
    input,
    reason,
    status: answer.status,
    ...(envelope.code !== undefined ? { code: envelope.code } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(description !== undefined ? { description } : {})
  })
}

/**
 * The client of one server.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: {
  readonly client: HttpClient.HttpClient
  readonly fs: FileSystem.FileSystem
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string>
  readonly timeoutMs: number
}) => {
  const base = options.baseUrl.replace(/\/+$/, "")
  // one watcher for every request's time limit, not a race per request (internal/callDeadlines)
  const within = CallDeadlines.make(options.timeoutMs)
  const authorize = (request: HttpClientRequest.HttpClientRequest) =>
    request.pipe(
      HttpClientRequest.setHeader("user-agent", userAgent),
      Redacted.value(options.apiKey) === "" ? (r) => r : HttpClientRequest.bearerToken(options.apiKey)
    )

  const send = (
    request: HttpClientRequest.HttpClientRequest,
    input: string
  ): Effect.Effect<Answer, TranscriptionError> =>
    Effect.gen(function*() {
      const response = yield* options.client.execute(authorize(request))
      const text = yield* response.text
      return { status: response.status, headers: response.headers, text }
    }).pipe(
      Effect.catchTags({
        RequestError: (error) =>
          Effect.fail(
            new TranscriptionError({
              provider: "openai",
              input,
              reason: error.reason === "Transport" ? "Transport" : "InvalidRequest",
              description: error.description ?? error.message,
              cause: error.cause
            })
          ),
        ResponseError: (error) =>
          Effect.fail(
            new TranscriptionError({
              provider: "openai",
              input,
              reason: "Transport",
              status: error.response.status,
              description: error.description ?? error.message
            })
          )
      }),
      (sent) =>
        within(sent, () =>
          new TranscriptionError({
            provider: "openai",
            input,
            reason: "Timeout",
            description: `no complete answer within ${options.timeoutMs} ms`
          }))
    )

  /** The multipart body of an upload: its exact length is known before anything is read. */
  const form = (upload: Upload, boundary: string) =>
    multipart({
      boundary,
      fields: upload.fields,
      fileName: upload.fileName,
      fileType: upload.fileType,
      fileSize: upload.fileSize,
      file: upload.bytes !== undefined
        ? Stream.make(upload.bytes)
        : options.fs.stream(upload.file, { chunkSize: 256 * 1024 })
    })

  /** The request's size: the server's limit applies to the whole body. */
  const sizeOf = (upload: Upload) => form(upload, "----asrflow0000000000000000").contentLength

  /**
   * `POST {base}/audio/transcriptions`; a non-2xx answer is a `TranscriptionError`. `onAnswer` sees the headers of
   * every answer, failed ones included (rate-limit headers).
   */
  const transcribe = (
    upload: Upload,
    input: string,
    onAnswer: (headers: Readonly<Record<string, string>>) => Effect.Effect<void> = () => Effect.void
  ): Effect.Effect<Answer, TranscriptionError> =>
    Effect.gen(function*() {
      const body = form(upload, `----asrflow${yield* randomId}`)
      const request = HttpClientRequest.post(`${base}/audio/transcriptions`).pipe(
        HttpClientRequest.acceptJson,
        HttpClientRequest.bodyStream(body.body, { contentType: body.contentType, contentLength: body.contentLength })
      )
      const answer = yield* send(request, input)
      yield* onAnswer(answer.headers)
      if (answer.status >= 200 && answer.status < 300) return answer
      return yield* Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(failure(answer, input, now)))
    })

  /** `GET {base}/models`: one read-only call. */
  const models = (input: string) =>
    Effect.gen(function*() {
      const answer = yield* send(HttpClientRequest.get(`${base}/models`).pipe(HttpClientRequest.acceptJson), input)
      if (answer.status < 200 || answer.status >= 300) {
        return yield* Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(failure(answer, input, now)))
      }
      const body = parseJson(answer.text) as { readonly data?: ReadonlyArray<{ readonly id?: unknown }> } | undefined
      return Option.fromNullable(body?.data).pipe(
        Option.map((data) => data.flatMap((entry) => typeof entry.id === "string" ? [entry.id] : [])),
        Option.getOrElse((): ReadonlyArray<string> => [])
      )
    })

  // the account of the rate lanes: a hash of the key, never the key
  return { baseUrl: base, account: RateController.accountOf(options.apiKey), transcribe, models, sizeOf }
}

/**
 * @since 0.2.0
 * @category models
 */
export type OpenAiClient = ReturnType<typeof make>
