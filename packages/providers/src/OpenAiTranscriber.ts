/**
 * The OpenAI-compatible transcriber: each local file is checked against the server's size limit before anything
 * is sent, uploaded as a streamed multipart form, and the answer mapped to the canonical `Transcript`. Request
 * starts wait for the rate control (`OpenAiRateLimits`: the configured pace, else the server's
 * `x-ratelimit-*`), and transient failures are retried with the config's policy, at least `Retry-After` apart.
 *
 * @since 0.2.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import * as InFlightAudio from "@asrflow/core/InFlightAudio"
import * as PhaseSpan from "@asrflow/core/PhaseSpan"
import * as RetryPolicy from "@asrflow/core/RetryPolicy"
import type { Transcriber } from "@asrflow/core/Transcriber"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import type { Transcript } from "@asrflow/core/Transcript"
import { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import type { OpenAiClient } from "./OpenAiClient.js"
import * as OpenAiConfig from "./OpenAiConfig.js"
import * as OpenAiRateLimits from "./OpenAiRateLimits.js"
import * as OpenAiResponse from "./OpenAiResponse.js"
import * as QwenRequest from "./QwenRequest.js"

/**
 * The request of one item: the config with the item's overrides (model, languages, context as the prompt).
 *
 * @since 0.2.0
 * @category utils
 */
export const requestOf = (config: OpenAiConfig.OpenAiConfig, item: Pick<AudioItem, "overrides">) => {
  const hints = item.overrides?.language_hints ?? config.language_hints ?? []
  const granularities = config.response_format === "verbose_json"
    ? [...new Set(config.timestamp_granularities.map((g) => g === "sentence" ? "segment" : g))]
    : []
  return {
    model: item.overrides?.model ?? config.model,
    language: config.language ?? (hints.length === 1 ? hints[0] : undefined),
    prompt: config.prompt ?? item.overrides?.context ?? config.context,
    response_format: config.response_format,
    temperature: config.temperature,
    timestamp_granularities: granularities
  }
}

/** The form fields, in the order the SDK sends them; arrays as `name[]`. */
const fieldsOf = (request: ReturnType<typeof requestOf>): Array<readonly [string, string]> => [
  ["model", request.model],
  ...(request.language !== undefined ? [["language", request.language] as const] : []),
  ...(request.prompt !== undefined ? [["prompt", request.prompt] as const] : []),
  ["response_format", request.response_format],
  ...(request.temperature !== undefined ? [["temperature", String(request.temperature)] as const] : []),
  ...request.timestamp_granularities.map((g) => ["timestamp_granularities[]", g] as const)
]

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

/**
 * The transcriber over a server's client. Build it once per run: it owns the run's rate control.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(config: OpenAiConfig.OpenAiConfig, client: OpenAiClient) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const control = yield* OpenAiRateLimits.make(
    yield* OpenAiRateLimits.lanes(client, config.rate_limit)
  )
  const warnings = OpenAiConfig.warnings(config)
  const limit = config.max_file_mb * 1024 * 1024

  const fail = (item: AudioItem, reason: TranscriptionError["reason"], description: string) =>
    new TranscriptionError({ provider: "openai", input: item.id, reason, description })

  const transcribe = (item: AudioItem): Effect.Effect<Transcript, TranscriptionError> =>
    Effect.gen(function*() {
      if (!item.isLocal) {
        return yield* fail(
          item,
          "InvalidRequest",
          `${item.source} is a URL; an OpenAI-compatible server takes the file itself: download it and list the local file`
        )
      }
      const request = requestOf(config, item)
      // the bytes the run read and hashed, when it holds them: the file is not read a second time
      const bytes = yield* InFlightAudio.take(item)
      const fileSize = bytes?.length ?? Number(
        (yield* fs.stat(item.source).pipe(
          Effect.mapError((error) => fail(item, "InvalidAudio", `cannot read ${item.source}: ${error.message}`))
        )).size
      )
      const upload = {
        file: item.source,
        fileName: path.basename(item.source),
        fileType: QwenRequest.mimeOf(item) ?? "application/octet-stream",
        fileSize,
        fields: fieldsOf(request),
        bytes
      }
      const size = client.sizeOf(upload)
      if (size > limit) {
        return yield* fail(
          item,
          "InvalidAudio",
          `${item.id} is ${mb(upload.fileSize)} (a ${mb(size)} request); ${client.baseUrl} takes at most ` +
            `${config.max_file_mb} MB per request (max_file_mb). Compress it (e.g. ffmpeg -i in.wav -ac 1 -b:a 48k ` +
            "out.mp3) or split it; nothing was sent"
        )
      }
      const answer = yield* control.paced(request.model, client.transcribe(upload, item.id, control.observe)).pipe(
        Effect.tapError((error) =>
          error.isRetryable
            ? Effect.logWarning(`retrying after ${error.reason}${error.status ? ` (HTTP ${error.status})` : ""}`)
            : Effect.void
        ),
        Effect.retry({ schedule: RetryPolicy.toSchedule(config.retry), while: (error) => error.isRetryable }),
        PhaseSpan.phase("submit", { [PhaseSpan.attributes.model]: request.model })
      )
      return yield* OpenAiResponse.toTranscript(request.response_format, answer.text, {
        model: request.model,
        input: item.id,
        warnings,
        durationMs: item.durationMs,
        requestId: answer.headers["x-request-id"]
      })
    }).pipe(
      Effect.annotateLogs({ item: item.id }),
      PhaseSpan.traced("OpenAiTranscriber.transcribe", { item: item.id })
    )

  return {
    provider: "openai",
    transcribe,
    plan: (item: AudioItem) => ({
      route: "sync",
      model: requestOf(config, item).model,
      estimatedSeconds: item.durationMs === undefined ? undefined : Math.ceil(item.durationMs / 1000),
      warnings
    }),
    requestKey: (item: AudioItem) => JSON.stringify(requestOf(config, item))
  } satisfies Transcriber.Service
})
