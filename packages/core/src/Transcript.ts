/**
 * The canonical transcript every provider maps its wire responses to, and the per-item result union.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { AudioItem } from "./AudioItem.js"

/**
 * @since 0.1.0
 * @category models
 */
export class Word extends Schema.Class<Word>("Word")({
  beginMs: Schema.Number,
  endMs: Schema.Number,
  text: Schema.String,
  punctuation: Schema.optionalWith(Schema.String, { default: () => "" })
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export class Sentence extends Schema.Class<Sentence>("Sentence")({
  id: Schema.Number,
  channelId: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  beginMs: Schema.Number,
  endMs: Schema.Number,
  text: Schema.String,
  language: Schema.optional(Schema.String),
  emotion: Schema.optional(Schema.String),
  /** The speaker of the sentence when the provider diarized the audio: its 0-based id (shown as S1, S2, …). */
  speakerId: Schema.optional(Schema.Number),
  words: Schema.optional(Schema.Array(Word))
}) {}

/**
 * The text of one audio channel (track) of a multi-channel recording.
 *
 * @since 0.1.0
 * @category models
 */
export class ChannelText extends Schema.Class<ChannelText>("ChannelText")({
  channelId: Schema.Number,
  text: Schema.String
}) {}

/**
 * A raw API response kept as evidence, with the phase it answered.
 *
 * @since 0.1.0
 * @category models
 */
export class Evidence extends Schema.Class<Evidence>("Evidence")({
  phase: Schema.String,
  at: Schema.String,
  body: Schema.Unknown
}) {}

/**
 * One chunk of a recording transcribed through the split route: its place in the recording and its request.
 *
 * @since 0.2.0
 * @category models
 */
export class TranscriptChunk extends Schema.Class<TranscriptChunk>("TranscriptChunk")({
  index: Schema.Number,
  startMs: Schema.Number,
  endMs: Schema.Number,
  requestId: Schema.optional(Schema.String),
  usageSeconds: Schema.optional(Schema.Number),
  /** Transcribed by an earlier run and taken from the ledger. */
  resumed: Schema.optionalWith(Schema.Boolean, { default: () => false })
}) {}

/**
 * The canonical result of transcribing one item.
 *
 * @since 0.1.0
 * @category models
 */
export class Transcript extends Schema.Class<Transcript>("Transcript")({
  text: Schema.String,
  model: Schema.String,
  provider: Schema.String,
  status: Schema.String,
  taskId: Schema.optional(Schema.String),
  requestId: Schema.optional(Schema.String),
  language: Schema.optional(Schema.String),
  emotion: Schema.optional(Schema.String),
  durationMs: Schema.optional(Schema.Number),
  usageSeconds: Schema.optional(Schema.Number),
  sentences: Schema.optionalWith(Schema.Array(Sentence), { default: () => [] }),
  channels: Schema.optionalWith(Schema.Array(ChannelText), { default: () => [] }),
  warnings: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  raw: Schema.Unknown,
  evidence: Schema.optionalWith(Schema.Array(Evidence), { default: () => [] }),
  /** How the item was sent, when a provider has more than one way (`split`: in chunks). */
  route: Schema.optional(Schema.String),
  /** The chunks of a split item, in order. */
  chunks: Schema.optional(Schema.Array(TranscriptChunk))
}) {}

/**
 * Where in the item's life a failure happened.
 *
 * @since 0.1.0
 * @category models
 */
export const FailurePhase = Schema.Literal("source", "probe", "stage", "transcribe", "sink")

/**
 * @since 0.1.0
 * @category models
 */
export class Transcribed extends Schema.TaggedClass<Transcribed>("Transcribed")("Transcribed", {
  item: AudioItem,
  transcript: Transcript
}) {}

/**
 * An item that could not be transcribed. It flows to the sinks like any other result, so nothing is lost.
 *
 * @since 0.1.0
 * @category models
 */
export class Failed extends Schema.TaggedClass<Failed>("Failed")("Failed", {
  item: AudioItem,
  phase: FailurePhase,
  reason: Schema.String,
  message: Schema.String,
  requestId: Schema.optional(Schema.String),
  taskId: Schema.optional(Schema.String),
  evidence: Schema.optionalWith(Schema.Array(Evidence), { default: () => [] })
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export const TranscriptResult = Schema.Union(Transcribed, Failed)

/**
 * @since 0.1.0
 * @category models
 */
export type TranscriptResult = typeof TranscriptResult.Type

/**
 * @since 0.1.0
 * @category guards
 */
export const isTranscribed = (result: TranscriptResult): result is Transcribed => result._tag === "Transcribed"
