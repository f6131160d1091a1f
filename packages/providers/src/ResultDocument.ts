/**
 * The result document of a finished filetrans task (docs/PROTOCOL.md §7.4, §7.5): where it
 * is, how it is fetched (a signed URL, without credentials, at once: results live 24 h), its wire schema,
 * and its mapping to the canonical `Transcript`. Unknown keys are tolerated; the raw document is kept as
 * evidence.
 *
 * @since 0.2.0
 */
import type { RetryPolicy } from "@asrflow/core/RetryPolicy"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import { ChannelText, Evidence, Sentence, Transcript, Word } from "@asrflow/core/Transcript"
import { HttpClientRequest } from "@effect/platform"
import { DateTime, Duration, Effect, Schema } from "effect"
import * as DashScopeClient from "./DashScopeClient.js"
import type * as Wire from "./internal/schemas.js"
import type * as TaskPoller from "./TaskPoller.js"

// =============================================================================
// Schema
// =============================================================================

const OptionalString = Schema.optional(Schema.NullOr(Schema.String))

const ResultWord = Schema.Struct({
  begin_time: Schema.Number,
  end_time: Schema.Number,
  text: Schema.String,
  punctuation: OptionalString
})

/**
 * A sentence of a result document, as both DashScope task families write it (Fun-ASR adds `speaker_id`).
 *
 * @since 0.2.0
 * @category schemas
 */
export const ResultSentence = Schema.Struct({
  sentence_id: Schema.optional(Schema.Number),
  begin_time: Schema.Number,
  end_time: Schema.Number,
  text: Schema.String,
  language: OptionalString,
  emotion: OptionalString,
  words: Schema.optional(Schema.NullOr(Schema.Array(ResultWord)))
})

const ResultChannel = Schema.Struct({
  channel_id: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  text: Schema.optionalWith(Schema.String, { default: () => "" }),
  sentences: Schema.optionalWith(Schema.Array(ResultSentence), { default: () => [] })
})

/**
 * The qwen3 filetrans result document.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ResultDocument = Schema.Struct({
  file_url: Schema.optional(Schema.String),
  audio_info: Schema.optional(Schema.Struct({
    format: OptionalString,
    sample_rate: Schema.optional(Schema.NullOr(Schema.Number))
  })),
  transcripts: Schema.optionalWith(Schema.Array(ResultChannel), { default: () => [] })
})

/**
 * @since 0.2.0
 * @category schemas
 */
export type ResultDocument = typeof ResultDocument.Type

/**
 * A task that ended (its last answer), with its result document when it SUCCEEDED.
 *
 * @since 0.2.0
 * @category models
 */
export interface Finished {
  readonly answer: TaskPoller.TaskAnswer
  readonly result?: Downloaded | undefined
}

/**
 * A downloaded document and its untouched body.
 *
 * @since 0.2.0
 * @category models
 */
export interface Downloaded {
  readonly document: ResultDocument
  readonly raw: unknown
}

// =============================================================================
// Fetch
// =============================================================================

/**
 * The result document URL of a finished task: `output.result.transcription_url`, falling back to
 * `output.results[0].transcription_url`.
 */
const transcriptionUrlOf = (task: Wire.TaskResponse): string | undefined =>
  task.output.result?.transcription_url ?? task.output.results?.[0]?.transcription_url

const decodeDocument = Schema.decodeUnknownEither(ResultDocument)

/**
 * GETs the signed result URL without credentials; an expired URL is a `TaskLost` error saying so.
 * Transient failures are retried with `retry`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const download = (
  client: DashScopeClient.DashScopeClient.Service,
  params: {
    readonly url: string
    readonly taskId: string
    readonly input: string
    readonly timeout: Duration.DurationInput
    readonly retry: RetryPolicy
  }
): Effect.Effect<Downloaded, TranscriptionError> => {
  const { input, taskId } = params
  const failure = (reason: TranscriptionError["reason"], description: string, cause?: unknown) =>
    new TranscriptionError({
      provider: client.provider,
      input,
      reason,
      taskId,
      description,
      ...(cause !== undefined ? { cause } : {})
    })
  return Effect.gen(function*() {
    const response = yield* client.unauthenticated.execute(HttpClientRequest.get(params.url)).pipe(
      Effect.catchTags({
        RequestError: (error) =>
          Effect.fail(failure("Transport", `result download failed: ${error.message}`, error.cause)),
        ResponseError: (error) => Effect.fail(failure("Transport", `result download failed: ${error.message}`))
      }),
      Effect.timeoutFail({
        duration: Duration.decode(params.timeout),
        onTimeout: () => failure("Timeout", "the result download did not answer in time")
      })
    )
    // a body cut off on the way is a transient read failure, retried like a 5xx
    const text = yield* response.text.pipe(
      Effect.catchAll((error) =>
        Effect.fail(failure("Transport", `the result download was cut off: ${error.message}`, error.cause))
      )
    )
    if (response.status < 200 || response.status >= 300) {
      const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1]
      const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1]
      const expired = response.status === 403 && (code === "AccessDenied" || /expired/i.test(message ?? ""))
      return yield* Effect.fail(
        new TranscriptionError({
          provider: client.provider,
          input,
          reason: expired ? "TaskLost" : response.status >= 500 ? "ServerError" : "InvalidRequest",
          status: response.status,
          taskId,
          code: expired ? "ResultExpired" : code ?? `HTTP${response.status}`,
          description: expired
            ? `the result document of task ${taskId} has expired (${code}: ${message ?? "expired"}); ` +
              "results are kept 24 h after a task ends, so this item must be transcribed again (re-run)"
            : `the result document could not be downloaded: HTTP ${response.status}${code ? ` ${code}` : ""}${
              message ? `: ${message}` : ""
            }`
        })
      )
    }
    // a 200 whose body is not JSON is most often a body cut short without a length: read it again
    const raw = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () =>
        new TranscriptionError({
          provider: client.provider,
          input,
          reason: "Transport",
          taskId,
          code: notJson,
          description: `the result document of task ${taskId} is not JSON (${text.length} bytes: ${
            JSON.stringify(text.slice(0, 80))
          })`
        })
    })
    const document = decodeDocument(raw)
    if (document._tag === "Left") {
      return yield* Effect.fail(failure("Decode", `unexpected result document: ${document.left.message}`))
    }
    return { document: document.right, raw }
  }).pipe(
    DashScopeClient.withRetry(params.retry),
    // still not JSON after every retry: say so plainly, naming the task (the result stays on the service for 24 h)
    Effect.mapError((error) =>
      error.code === notJson
        ? new TranscriptionError({
          provider: error.provider,
          input,
          reason: "Decode",
          taskId,
          code: notJson,
          description: `${error.description}, after ${params.retry.attempts + 1} attempt(s); ` +
            `run again to fetch it again (task ${taskId} and its result are kept 24 h)`
        })
        : error
    )
  )
}

/** The code of a result body that is not JSON while it is retried. */
const notJson = "ResultNotJson"

/**
 * What a task's last answer leads to: its result document when it SUCCEEDED (downloaded at once),
 * nothing more otherwise.
 *
 * @since 0.2.0
 * @category constructors
 */
export const fetchResult = (
  client: DashScopeClient.DashScopeClient.Service,
  answer: TaskPoller.TaskAnswer,
  params: { readonly input: string; readonly timeout: Duration.DurationInput; readonly retry: RetryPolicy }
): Effect.Effect<Finished, TranscriptionError> => {
  const url = answer.value.output.task_status === "SUCCEEDED" ? transcriptionUrlOf(answer.value) : undefined
  return url === undefined
    ? Effect.succeed({ answer })
    : Effect.map(
      download(client, { ...params, url, taskId: answer.value.output.task_id }),
      (result): Finished => ({ answer, result })
    )
}

// =============================================================================
// Mapping
// =============================================================================

/**
 * Task failure codes that mean the service could not download the file it was given (docs/PROTOCOL.md
 * §7.3: `FILE_403_FORBIDDEN`; §13.2 and §9.2 for the download-failure codes).
 */
const isDownloadFailure = (code: string): boolean =>
  /^FILE_\d{3}/.test(code) || code === "InvalidFile.DownloadFailed" || code === "BadRequest.InputDownloadFailed"

const mostCommon = (values: ReadonlyArray<string | null | undefined>): string | undefined => {
  const counts = new Map<string, number>()
  for (const value of values) {
    if (value !== null && value !== undefined && value !== "") counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  let best: string | undefined
  let bestCount = 0
  for (const [value, count] of counts) {
    if (count > bestCount) [best, bestCount] = [value, count]
  }
  return best
}

const sentencesOf = (document: ResultDocument): Array<Sentence> =>
  document.transcripts.flatMap((channel) =>
    channel.sentences.map((sentence, index) =>
      new Sentence({
        id: sentence.sentence_id ?? index,
        channelId: channel.channel_id,
        beginMs: sentence.begin_time,
        endMs: sentence.end_time,
        text: sentence.text,
        ...(sentence.language ? { language: sentence.language } : {}),
        ...(sentence.emotion ? { emotion: sentence.emotion } : {}),
        ...(sentence.words !== undefined && sentence.words !== null
          ? {
            words: sentence.words.map((word) =>
              new Word({
                beginMs: word.begin_time,
                endMs: word.end_time,
                text: word.text,
                punctuation: word.punctuation ?? ""
              })
            )
          }
          : {})
      })
    )
  )

/**
 * The transcript of a task that ended, or the error that says why there is none: a FAILED or CANCELED
 * task is `TaskFailed` (with its code), an UNKNOWN one `TaskLost`. The transcript holds the text per
 * channel, sentences with their words, the most common language and emotion, the billed seconds, and
 * the evidence trail (the submit answer when given, the last poll, the document).
 *
 * @since 0.1.0
 * @category constructors
 */
export const toTranscript = (finished: Finished, params: {
  readonly model: string
  readonly provider: string
  readonly input: string
  readonly warnings: ReadonlyArray<string>
  readonly submitRaw?: unknown
  readonly durationMs?: number | undefined
}): Effect.Effect<Transcript, TranscriptionError> =>
  Effect.gen(function*() {
    const task = finished.answer.value
    const { task_id: taskId, task_status: status } = task.output
    const failure = (reason: TranscriptionError["reason"], description: string, code?: string) =>
      new TranscriptionError({
        provider: params.provider,
        input: params.input,
        reason,
        description,
        taskId,
        ...(code !== undefined ? { code } : {})
      })
    if (status === "FAILED" || status === "CANCELED") {
      const code = task.output.code ?? status
      const description = status === "CANCELED"
        ? "the task was canceled"
        : isDownloadFailure(code)
        ? `the service could not fetch the audio from its URL (${code}${
          task.output.message !== undefined && task.output.message !== code ? `: ${task.output.message}` : ""
        }); make sure the URL is public (or validly signed) and reachable from the internet, then run again`
        : task.output.message ?? "the task failed"
      return yield* failure("TaskFailed", description, code)
    }
    if (status !== "SUCCEEDED") {
      return yield* failure(
        "TaskLost",
        `task ${taskId} is UNKNOWN: it expired (tasks and results live 24 h) or was lost; re-run to submit again`,
        "UNKNOWN"
      )
    }
    if (finished.result === undefined) {
      return yield* failure("Decode", "the task SUCCEEDED but names no transcription_url")
    }
    const { document, raw } = finished.result
    const at = DateTime.formatIso(yield* DateTime.now)
    const evidence = [
      ...(params.submitRaw !== undefined ? [new Evidence({ phase: "submit", at, body: params.submitRaw })] : []),
      new Evidence({ phase: "poll", at, body: finished.answer.raw }),
      new Evidence({ phase: "result", at, body: raw })
    ]
    const channels = document.transcripts.map((channel) =>
      new ChannelText({ channelId: channel.channel_id, text: channel.text })
    )
    const sentences = sentencesOf(document)
    const language = mostCommon(sentences.map((sentence) => sentence.language))
    const emotion = mostCommon(sentences.map((sentence) => sentence.emotion))
    const usageSeconds = task.usage?.seconds
    return new Transcript({
      text: channels.map((channel) => channel.text).join("\n"),
      model: params.model,
      provider: params.provider,
      status,
      taskId,
      ...(task.request_id !== undefined ? { requestId: task.request_id } : {}),
      ...(language !== undefined ? { language } : {}),
      ...(emotion !== undefined ? { emotion } : {}),
      ...(params.durationMs !== undefined ? { durationMs: params.durationMs } : {}),
      ...(usageSeconds !== undefined && usageSeconds !== null ? { usageSeconds } : {}),
      sentences,
      channels,
      warnings: params.warnings,
      raw: finished.answer.raw,
      evidence
    })
  })
