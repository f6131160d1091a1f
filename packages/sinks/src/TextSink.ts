/**
 * The `text` sink: `transcripts/<output key>.txt` holds the transcript text with a trailing newline.
 *
 * @since 0.1.0
 */
import type { SinkComponent } from "@asrflow/core/Component"
import type { RunContext } from "@asrflow/core/RunContext"
import type { Transcript } from "@asrflow/core/Transcript"
import type { FileSystem, Path } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import * as Speakers from "./internal/speakers.js"
import * as ItemSink from "./ItemSink.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export class Config extends Schema.Class<Config>("TextSinkConfig")({
  type: Schema.Literal("text"),
  dir: Schema.optionalWith(Schema.NonEmptyString, { default: () => "transcripts" }).annotations({
    description: "Directory for the .txt files, relative to the output root.",
    examples: ["transcripts"]
  })
}, {
  description:
    "Writes <dir>/<output key>.txt: the transcript text with a trailing newline; a diarized transcript has one line per speaker turn, prefixed [S1], [S2], …. Empty speech gives an empty file; failed items write nothing."
}) {}

/**
 * The file content for a text: the text with one trailing newline, or nothing for empty speech.
 *
 * @since 0.1.0
 * @category utils
 */
export const render = (text: string): string => text === "" ? "" : text.endsWith("\n") ? text : `${text}\n`

/**
 * The file content for a transcript: its text, or for a diarized one a line per speaker turn
 * (`[S1] …`), consecutive sentences of one speaker joined.
 *
 * @since 0.2.0
 * @category utils
 */
export const renderTranscript = (transcript: Transcript): string =>
  Speakers.hasSpeakers(transcript)
    ? Speakers.turns(transcript).map((turn) =>
      `${turn.speakerId === undefined ? "" : `[${Speakers.label(turn.speakerId)}] `}${turn.text}\n`
    ).join("")
    : render(transcript.text)

/**
 * @since 0.1.0
 * @category components
 */
export const component: SinkComponent<Config, FileSystem.FileSystem | Path.Path | RunContext> = {
  kind: "sink",
  type: "text",
  description: "The transcript text, one .txt file per item.",
  config: Config,
  make: (config) =>
    ItemSink.make({
      name: "text",
      dir: config.dir,
      ext: ".txt",
      writes: (result) => result._tag === "Transcribed",
      render: (result, redactor) =>
        Effect.succeed(
          result._tag === "Transcribed"
            ? Option.some(redactor.string(renderTranscript(result.transcript)))
            : Option.none()
        )
    })
}
