/**
 * The temporary-upload stager: turns a local file into an `oss://` URL that the async models can read, the
 * way the official SDK does (docs/PROTOCOL.md §8).
 *
 * 1. `GET /uploads?action=getPolicy&model=<the model that will use the file>` (bearer auth). A policy is
 *    reused for several files while it is valid (refreshed 30 s before it expires), and policy requests
 *    are paced under the 100 QPS per-model budget.
 * 2. A multipart POST to `upload_host` with exactly the SDK form fields, file last, under a unique object
 *    key `<upload_dir>/<random id>-<sanitized basename>`. The body is streamed from disk with an exact
 *    `Content-Length`, so memory does not grow with the file. The API key is never sent to the upload host.
 * 3. The result is `oss://<key>`, usable for 48 h with `X-DashScope-OssResourceResolve: enable`.
 *
 * @since 0.1.0
 */
import type { Lane } from "@asrflow/core/RateController"
import type { RetryPolicy } from "@asrflow/core/RetryPolicy"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import { FileSystem, HttpClientRequest, Path } from "@effect/platform"
import { Clock, Context, Data, Duration, Effect, Stream, SynchronizedRef } from "effect"
import * as DashScopeClient from "./DashScopeClient.js"
import * as DashScopeLanes from "./DashScopeLanes.js"
import { randomId } from "./internal/randomId.js"
import type * as Wire from "./internal/schemas.js"

// =============================================================================
// Models
// =============================================================================

/**
 * A file staged on DashScope's temporary storage.
 *
 * @since 0.1.0
 * @category models
 */
export interface Staged {
  /** `oss://<key>` */
  readonly fileUrl: string
  readonly key: string
  readonly bytes: number
  /** The model the upload is bound to. */
  readonly model: string
  /** When the object stops being usable (epoch ms): 48 h after the upload. */
  readonly expiresAt: number
}

/**
 * @since 0.1.0
 * @category context
 */
export class TempUpload extends Context.Tag("@asrflow/providers/TempUpload")<TempUpload, TempUpload.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace TempUpload {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /**
     * Uploads a local file for `model` and returns its `oss://` URL; `bytes`, when the run holds the file's
     * (`InFlightAudio`), are sent as they are instead of reading the file.
     */
    readonly stage: (
      file: string,
      options: {
        readonly model: string
        readonly mime?: string | undefined
        readonly input?: string | undefined
        readonly bytes?: Uint8Array | undefined
      }
    ) => Effect.Effect<Staged, TranscriptionError>
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly retry: RetryPolicy
  /** The upload-policy lane of a model (100 per second); by default the client's in the run's controller. */
  readonly lanes?: ((model: string) => Effect.Effect<Lane>) | undefined
}

/** How long one upload may take: one hour, as the SDK. */
const uploadTimeoutMs = 3_600_000

// =============================================================================
// Constants and pure helpers
// =============================================================================

/** How long an uploaded object stays usable. */
const objectTtlMs = 48 * 3600 * 1000

/** A policy is treated as expired this long before its stated expiry. */
const policyMarginMs = 30_000

/**
 * A file name safe for an object key: ASCII letters, digits, `.`, `_` and `-`, at most 100 characters.
 *
 * @since 0.1.0
 * @category utils
 */
export const sanitizeName = (name: string): string => {
  const cleaned = name.normalize("NFKD").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "")
  return (cleaned === "" ? "audio" : cleaned).slice(-100)
}

/** The SDK's form fields, in the SDK's order (the file part goes last). */
const formFields = (
  policy: Wire.UploadPolicyResponse["data"],
  key: string,
  contentType: string
): ReadonlyArray<readonly [string, string]> => [
  ["OSSAccessKeyId", policy.oss_access_key_id],
  ["Signature", policy.signature],
  ["policy", policy.policy],
  ["key", key],
  ["x-oss-object-acl", policy.x_oss_object_acl ?? "private"],
  ["x-oss-forbid-overwrite", policy.x_oss_forbid_overwrite ?? "true"],
  ["success_action_status", "200"],
  ["x-oss-content-type", contentType]
]

const encoder = new TextEncoder()

const quote = (value: string) => value.replace(/["\r\n\\]/g, "_")

/**
 * A streamed `multipart/form-data` body: the fields, then the file's bytes as they come from `file`.
 * Returns the exact content length without reading the file.
 *
 * @since 0.1.0
 * @category constructors
 */
export const multipart = <E, R>(options: {
  readonly fields: ReadonlyArray<readonly [string, string]>
  readonly fileName: string
  readonly fileType: string
  readonly fileSize: number
  readonly file: Stream.Stream<Uint8Array, E, R>
  readonly boundary: string
}): {
  readonly contentType: string
  readonly contentLength: number
  readonly body: Stream.Stream<Uint8Array, E, R>
} => {
  const boundary = options.boundary
  const head =
    options.fields.map(([name, value]) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`
    ).join("") +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${
      quote(options.fileName)
    }"\r\nContent-Type: ${options.fileType}\r\n\r\n`
  const prefix = encoder.encode(head)
  const suffix = encoder.encode(`\r\n--${boundary}--\r\n`)
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: prefix.byteLength + options.fileSize + suffix.byteLength,
    body: Stream.make(prefix).pipe(Stream.concat(options.file), Stream.concat(Stream.make(suffix)))
  }
}

const xmlField = (xml: string, name: string): string | undefined =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1]

// =============================================================================
// Constructors
// =============================================================================

class OssForbidden extends Data.TaggedError("OssForbidden")<{ readonly error: TranscriptionError }> {}

interface CachedPolicy {
  readonly data: Wire.UploadPolicyResponse["data"]
  readonly validUntil: number
}

/**
 * A stager with its own policy cache and policy pacer; build it once per run.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(options: Options) {
  const client = yield* DashScopeClient.DashScopeClient
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const laneOf = options.lanes ??
    (yield* DashScopeLanes.make(client, "auto", () => DashScopeLanes.policyPerMinute)).policy
  const policies = yield* SynchronizedRef.make(new Map<string, CachedPolicy>())

  const fetchPolicy = (model: string, input: string) =>
    Effect.flatMap(laneOf(model), (lane) => lane.paced(client.getUploadPolicy(model, { input }))).pipe(
      DashScopeClient.withRetry(options.retry),
      Effect.flatMap((answer) =>
        Effect.map(Clock.currentTimeMillis, (now): CachedPolicy => ({
          data: answer.value.data,
          validUntil: now + answer.value.data.expire_in_seconds * 1000 - policyMarginMs
        }))
      )
    )

  /** The cached policy for `model`, fetched when missing, stale or `refresh` (one fetch at a time). */
  const policyFor = (model: string, input: string, refresh: boolean) =>
    SynchronizedRef.modifyEffect(policies, (cache) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const cached = cache.get(model)
        if (!refresh && cached !== undefined && cached.validUntil > now) return [cached.data, cache] as const
        const fresh = yield* fetchPolicy(model, input)
        return [fresh.data, new Map(cache).set(model, fresh)] as const
      }))

  const fail = (input: string, reason: TranscriptionError["reason"], description: string, status?: number) =>
    new TranscriptionError({
      provider: client.provider,
      input,
      reason,
      description,
      ...(status !== undefined ? { status } : {})
    })

  const upload = (
    file: string,
    bytes: Uint8Array | undefined,
    size: number,
    policy: Wire.UploadPolicyResponse["data"],
    model: string,
    mime: string,
    input: string
  ) =>
    Effect.gen(function*() {
      const id = yield* randomId
      const key = `${policy.upload_dir}/${id}-${sanitizeName(path.basename(file))}`
      const form = multipart({
        boundary: `----asrflow${id}`,
        fields: formFields(policy, key, mime),
        fileName: path.basename(file),
        fileType: mime,
        fileSize: size,
        file: bytes !== undefined ? Stream.make(bytes) : fs.stream(file, { chunkSize: FileSystem.KiB(256) })
      })
      const request = HttpClientRequest.post(policy.upload_host).pipe(
        HttpClientRequest.setHeader("accept", "application/json"),
        HttpClientRequest.bodyStream(form.body, { contentType: form.contentType, contentLength: form.contentLength })
      )
      const response = yield* client.unauthenticated.execute(request).pipe(
        Effect.catchTags({
          RequestError: (error) => Effect.fail(fail(input, "Transport", `upload failed: ${error.message}`)),
          ResponseError: (error) => Effect.fail(fail(input, "Transport", `upload failed: ${error.message}`))
        }),
        Effect.timeoutFail({
          duration: Duration.millis(uploadTimeoutMs),
          onTimeout: () => fail(input, "Timeout", `the upload did not finish within ${uploadTimeoutMs} ms`)
        })
      )
      // an upload counts only when its whole reply arrived and says success: a reply cut off after its
      // headers proves nothing (the object may not be stored), so it is a transport failure, retried
      const text = yield* response.text.pipe(
        Effect.catchAll((error) =>
          Effect.fail(
            fail(input, "Transport", `the upload's reply was cut off (HTTP ${response.status}): ${error.message}`)
          )
        )
      )
      const postedKey = xmlField(text, "Key")
      if (response.status >= 200 && response.status < 300 && !/<Error>/.test(text)) {
        if (postedKey !== undefined && postedKey !== key) {
          return yield* Effect.fail(
            fail(input, "ServerError", `the upload host stored ${postedKey}, not ${key}`, response.status)
          )
        }
        const now = yield* Clock.currentTimeMillis
        return { fileUrl: `oss://${key}`, key, bytes: size, model, expiresAt: now + objectTtlMs } satisfies Staged
      }
      const code = xmlField(text, "Code")
      const message = xmlField(text, "Message")
      const detail = `the upload host answered HTTP ${response.status}${code ? ` ${code}` : ""}${
        message ? `: ${message}` : ""
      }`
      const error = new TranscriptionError({
        provider: client.provider,
        input,
        reason: response.status >= 500 ? "ServerError" : code === "EntityTooLarge" ? "InvalidAudio" : "InvalidRequest",
        status: response.status,
        ...(code !== undefined ? { code } : {}),
        description: detail
      })
      return yield* response.status === 403 ? Effect.fail(new OssForbidden({ error })) : Effect.fail(error)
    })

  const stage: TempUpload.Service["stage"] = (file, { bytes, input: label, mime, model }) => {
    const input = label ?? file
    return Effect.gen(function*() {
      const size = bytes?.length ?? Number(
        (yield* fs.stat(file).pipe(
          Effect.mapError((error) => fail(input, "InvalidAudio", `cannot read ${file}: ${error.message}`))
        )).size
      )
      const attempt = (refresh: boolean) =>
        Effect.flatMap(policyFor(model, input, refresh), (policy) => {
          const limitMb = policy.max_file_size_mb
          return limitMb !== undefined && size > limitMb * 1024 * 1024
            ? Effect.fail(
              fail(input, "InvalidAudio", `the file is ${size} bytes; temporary uploads take at most ${limitMb} MB`)
            )
            : upload(file, bytes, size, policy, model, mime ?? "application/octet-stream", input)
        })
      // an OSS 403 usually means the cached policy went stale: fetch a fresh one once, then give up
      return yield* attempt(false).pipe(
        Effect.catchTag("OssForbidden", () => attempt(true)),
        Effect.catchTag("OssForbidden", (forbidden) => Effect.fail(forbidden.error)),
        DashScopeClient.withRetry(options.retry)
      )
    }).pipe(Effect.withSpan("TempUpload.stage", { attributes: { model, file } }))
  }

  return TempUpload.of({ stage })
})

/**
 * Whether a staged upload is still usable for at least `marginMs` more (default 10 min).
 *
 * @since 0.1.0
 * @category guards
 */
export const isUsable = (expiresAt: number | null | undefined, now: number, marginMs = 600_000): boolean =>
  expiresAt !== null && expiresAt !== undefined && expiresAt - marginMs > now
