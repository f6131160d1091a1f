/**
 * Wire schemas of the async (filetrans) path that `internal/schemas.ts` does not hold: the result document
 * at `transcription_url` (docs/PROTOCOL.md §7.5). Unknown keys are tolerated; the raw document is kept as evidence.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const OptionalString = Schema.optional(Schema.NullOr(Schema.String))

export const ResultWord = Schema.Struct({
  begin_time: Schema.Number,
  end_time: Schema.Number,
  text: Schema.String,
  punctuation: OptionalString
})
export type ResultWord = typeof ResultWord.Type

export const ResultSentence = Schema.Struct({
  sentence_id: Schema.optional(Schema.Number),
  begin_time: Schema.Number,
  end_time: Schema.Number,
  text: Schema.String,
  language: OptionalString,
  emotion: OptionalString,
  words: Schema.optional(Schema.NullOr(Schema.Array(ResultWord)))
})
export type ResultSentence = typeof ResultSentence.Type

export const ResultChannel = Schema.Struct({
  channel_id: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  text: Schema.optionalWith(Schema.String, { default: () => "" }),
  sentences: Schema.optionalWith(Schema.Array(ResultSentence), { default: () => [] })
})
export type ResultChannel = typeof ResultChannel.Type

/** The qwen3 filetrans result document. */
export const ResultDocument = Schema.Struct({
  file_url: Schema.optional(Schema.String),
  audio_info: Schema.optional(Schema.Struct({
    format: OptionalString,
    sample_rate: Schema.optional(Schema.NullOr(Schema.Number))
  })),
  transcripts: Schema.optionalWith(Schema.Array(ResultChannel), { default: () => [] })
})
export type ResultDocument = typeof ResultDocument.Type
