/**
 * What a finished Fun-ASR/Paraformer batch says about each of its files (docs/PROTOCOL.md §13.2, §13.3): the
 * per-file entries of the task answer (`output.results[]`, matched to items by `file_url`), the billed seconds
 * (`usage.duration`), the per-file result document, and its mapping to the canonical `Transcript` with a
 * speaker per sentence when the audio was diarized. Unknown keys are tolerated; the raw bodies are kept as evidence.
 *
 * @since 0.2.0
 */
import { TranscriptionError } from "@asrflow/core/Transcriber"
import { ChannelText, Evidence, Sentence, Transcript, Word } from "@asrflow/core/Transcript"
import { DateTime, Effect, Option, Schema } from "effect"
import * as ResultDocument from "./ResultDocument.js"

// =============================================================================
// The task answer
// =============================================================================

const OptionalString = Schema.optional(Schema.NullOr(Schema.String))

/**
 * One file of a batch in the task answer.
 *
 * @since 0.2.0
 * @category schemas
 */
export const FileResult = Schema.Struct({
  file_url: Schema.String,
  transcription_url: OptionalString,
  subtask_status: OptionalString,
  code: OptionalString,
  message: OptionalString
})

/**
 * @since 0.2.0
 * @category schemas
 */
export type FileResult = typeof FileResult.Type

const BatchAnswer = Schema.Struct({
  output: Schema.Struct({ results: Schema.optionalWith(Schema.Array(FileResult), { default: () => [] }) }),
  usage: Schema.optional(Schema.NullOr(Schema.Struct({ duration: Schema.optional(Schema.NullOr(Schema.Number)) })))
})

const decodeAnswer = Schema.decodeUnknownOption(BatchAnswer)

/**
 * The per-file entries of a task answer, from its raw body.
 *
 * @since 0.2.0
 * @category utils
 */
export const fileResults = (raw: unknown): ReadonlyArray<FileResult> =>
  Option.match(decodeAnswer(raw), { onNone: () => [], onSome: (answer) => answer.output.results })

/**
 * The seconds billed for the whole batch (`usage.duration`), if given.
 *
 * @since 0.2.0
 * @category utils
 */
export const billedSeconds = (raw: unknown): number | undefined =>
  Option.getOrUndefined(Option.flatMap(decodeAnswer(raw), (answer) => Option.fromNullable(answer.usage?.duration)))

/**
 * The code of a file in which the service found no speech: an empty transcript, not a failure.
 *
 * @since 0.2.0
 * @category constants
 */
export const noSpeechCode = "SUCCESS_WITH_NO_VALID_FRAGMENT"

// =============================================================================
// The result document
// =============================================================================

const DocumentSentence = Schema.Struct({
  ...ResultDocument.ResultSentence.fields,
  speaker_id: Schema.optional(Schema.NullOr(Schema.Number))
})

/**
 * The result document of one file.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Document = Schema.Struct({
  file_url: Schema.optional(Schema.String),
  properties: Schema.optional(Schema.Struct({
    original_duration_in_milliseconds: Schema.optional(Schema.NullOr(Schema.Number))
  })),
  transcripts: Schema.optionalWith(
    Schema.Array(Schema.Struct({
      channel_id: Schema.optionalWith(Schema.Number, { default: () => 0 }),
      text: Schema.optionalWith(Schema.String, { default: () => "" }),
      sentences: Schema.optionalWith(Schema.Array(DocumentSentence), { default: () => [] })
    })),
    { default: () => [] }
  )
})

/**
 * @since 0.2.0
 * @category schemas
 */
export type Document = typeof Document.Type

const decodeDocument = Schema.decodeUnknownEither(Document)

// =============================================================================
// Mapping
// =============================================================================

/**
 * What the transcript of one file is built from.
 *
 * @since 0.2.0
 * @category models
 */
export interface Parts {
  readonly model: string
  readonly provider: string
  readonly input: string
  readonly taskId: string
  readonly requestId?: string | undefined
  readonly warnings: ReadonlyArray<string>
  readonly durationMs?: number | undefined
  /** Keep word timestamps (the `word` granularity). */
  readonly words: boolean
  /** The raw task answer, the raw submit answer (when this run made it) and the raw document. */
  readonly answer: unknown
  readonly submit?: unknown
  readonly document?: unknown
}

const toSentences = (document: Document, words: boolean): Array<Sentence> =>
  document.transcripts.flatMap((channel) =>
    channel.sentences.map((sentence, index) =>
      new Sentence({
        id: sentence.sentence_id ?? index + 1,
        channelId: channel.channel_id,
        beginMs: sentence.begin_time,
        endMs: sentence.end_time,
        text: sentence.text,
        ...(sentence.speaker_id !== undefined && sentence.speaker_id !== null
          ? { speakerId: sentence.speaker_id }
          : {}),
        ...(words && sentence.words !== undefined && sentence.words !== null
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
 * The transcript of one file: from its result document, or empty when the service found no speech
 * (`document` absent). The evidence holds the submit answer (when given), the task answer and the document.
 *
 * @since 0.2.0
 * @category constructors
 */
export const toTranscript = (parts: Parts): Effect.Effect<Transcript, TranscriptionError> =>
  Effect.gen(function*() {
    const decoded = parts.document === undefined
      ? undefined
      : decodeDocument(parts.document).pipe((either) =>
        either._tag === "Left"
          ? new TranscriptionError({
            provider: parts.provider,
            input: parts.input,
            reason: "Decode",
            taskId: parts.taskId,
            description: `unexpected result document: ${either.left.message}`
          })
          : either.right
      )
    if (decoded instanceof TranscriptionError) return yield* decoded
    const at = DateTime.formatIso(yield* DateTime.now)
    const evidence = [
      ...(parts.submit !== undefined ? [new Evidence({ phase: "submit", at, body: parts.submit })] : []),
      new Evidence({ phase: "poll", at, body: parts.answer }),
      ...(parts.document !== undefined ? [new Evidence({ phase: "result", at, body: parts.document })] : [])
    ]
    const channels = (decoded?.transcripts ?? []).map((channel) =>
      new ChannelText({ channelId: channel.channel_id, text: channel.text })
    )
    const durationMs = parts.durationMs ?? decoded?.properties?.original_duration_in_milliseconds ?? undefined
    return new Transcript({
      text: channels.map((channel) => channel.text).join("\n"),
      model: parts.model,
      provider: parts.provider,
      status: "SUCCEEDED",
      taskId: parts.taskId,
      ...(parts.requestId !== undefined ? { requestId: parts.requestId } : {}),
      ...(durationMs !== undefined && durationMs !== null ? { durationMs } : {}),
      ...(durationMs !== undefined && durationMs !== null ? { usageSeconds: Math.ceil(durationMs / 1000) } : {}),
      sentences: decoded === undefined ? [] : toSentences(decoded, parts.words),
      channels,
      warnings: decoded === undefined ? [...parts.warnings, "the service found no speech in the file"] : parts.warnings,
      raw: parts.answer,
      evidence
    })
  })
