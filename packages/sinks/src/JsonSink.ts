/**
 * The `json` sink: `transcripts/<output key>.json` holds the normalized response of the original skill,
 * `{text, task_id, status, raw}`, plus every canonical field, as readable UTF-8 (Chinese is not escaped).
 *
 * @since 0.1.0
 */
import type { SinkComponent } from "@asrflow/core/Component"
import type { RunContext } from "@asrflow/core/RunContext"
import { SinkError } from "@asrflow/core/Sink"
import type { Transcribed } from "@asrflow/core/Transcript"
import type { FileSystem, Path } from "@effect/platform"
import { Effect, Schema } from "effect"
import { Option } from "effect"
import * as ItemSink from "./ItemSink.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export class Config extends Schema.Class<Config>("JsonSinkConfig")({
  type: Schema.Literal("json"),
  dir: Schema.optionalWith(Schema.NonEmptyString, { default: () => "transcripts" }).annotations({
    description: "Directory for the .json files, relative to the output root.",
    examples: ["transcripts"]
  })
}, {
  description:
    "Writes <dir>/<output key>.json: {text, task_id, status, raw} plus model, audio, language, emotion, duration_ms, usage_seconds, sentences, words (with speaker_id when the audio was diarized), warnings and metadata (and route and chunks for an item sent in chunks). Failed items write nothing."
}) {}

/**
 * The normalized response of one transcribed item, with snake_case keys. Absent scalars are `null`, so
 * every file has the same shape.
 *
 * @since 0.1.0
 * @category utils
 */
export const normalize = (result: Transcribed): Record<string, unknown> => {
  const { item, transcript } = result
  const sentences = transcript.sentences.map((sentence) => ({
    id: sentence.id,
    channel_id: sentence.channelId,
    begin_ms: sentence.beginMs,
    end_ms: sentence.endMs,
    text: sentence.text,
    language: sentence.language ?? null,
    emotion: sentence.emotion ?? null,
    // only diarized transcripts carry speakers, so other files keep their shape
    ...(sentence.speakerId === undefined ? {} : { speaker_id: sentence.speakerId }),
    ...(sentence.words === undefined ? {} : {
      words: sentence.words.map((word) => ({
        begin_ms: word.beginMs,
        end_ms: word.endMs,
        text: word.text,
        punctuation: word.punctuation
      }))
    })
  }))
  const words = transcript.sentences.flatMap((sentence) =>
    (sentence.words ?? []).map((word) => ({
      sentence_id: sentence.id,
      channel_id: sentence.channelId,
      ...(sentence.speakerId === undefined ? {} : { speaker_id: sentence.speakerId }),
      begin_ms: word.beginMs,
      end_ms: word.endMs,
      text: word.text,
      punctuation: word.punctuation
    }))
  )
  return {
    text: transcript.text,
    task_id: transcript.taskId ?? null,
    status: transcript.status,
    raw: transcript.raw ?? null,
    model: transcript.model,
    provider: transcript.provider,
    audio: item.source,
    output_key: item.outputKey,
    request_id: transcript.requestId ?? null,
    language: transcript.language ?? null,
    emotion: transcript.emotion ?? null,
    duration_ms: transcript.durationMs ?? item.durationMs ?? null,
    usage_seconds: transcript.usageSeconds ?? null,
    sentences,
    words,
    channels: transcript.channels.map((channel) => ({ channel_id: channel.channelId, text: channel.text })),
    warnings: transcript.warnings,
    metadata: item.metadata ?? {},
    // only items sent in chunks (the split route) say how, and list their chunks
    ...(transcript.route !== undefined ? { route: transcript.route } : {}),
    ...(transcript.chunks !== undefined
      ? {
        chunks: transcript.chunks.map((chunk) => ({
          index: chunk.index,
          start_ms: chunk.startMs,
          end_ms: chunk.endMs,
          request_id: chunk.requestId ?? null,
          usage_seconds: chunk.usageSeconds ?? null,
          resumed: chunk.resumed
        }))
      }
      : {})
  }
}

/**
 * @since 0.1.0
 * @category components
 */
export const component: SinkComponent<Config, FileSystem.FileSystem | Path.Path | RunContext> = {
  kind: "sink",
  type: "json",
  description: "The normalized response {text, task_id, status, raw} plus the canonical fields, one .json per item.",
  config: Config,
  make: (config) =>
    ItemSink.make({
      name: "json",
      dir: config.dir,
      ext: ".json",
      writes: (result) => result._tag === "Transcribed",
      render: (result, redactor) =>
        result._tag === "Transcribed"
          ? Effect.try({
            try: () => Option.some(`${JSON.stringify(redactor.value(normalize(result)), null, 2)}\n`),
            catch: (cause) => new SinkError({ sink: "json", reason: "Encode", description: String(cause), cause })
          })
          : Effect.succeedNone
    })
}
