/**
 * The one subtitle-sink factory behind the `srt` and `vtt` sinks: the line-shaping config fields, the
 * warning for transcripts without timestamps, the renderers, and the component itself. A format supplies
 * only its config class, type, description and renderer.
 *
 * @since 0.1.0
 */
import type { SinkComponent } from "@asrflow/core/Component"
import type { RunContext } from "@asrflow/core/RunContext"
import type { Transcribed } from "@asrflow/core/Transcript"
import type { FileSystem, Path } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import * as ItemSink from "../ItemSink.js"
import * as Cues from "./cues.js"
import * as Speakers from "./speakers.js"
import * as Timecode from "./timecode.js"

/** The config fields of a subtitle sink of the given type: the `type` literal plus the line shaping. */
export const configFields = <T extends string>(type: T) => ({
  type: Schema.Literal(type),
  dir: Schema.optionalWith(Schema.NonEmptyString, { default: () => "transcripts" }).annotations({
    description: "Directory for the subtitle files, relative to the output root.",
    examples: ["transcripts", "subtitles"]
  }),
  max_line_chars: Schema.optionalWith(Schema.Int.pipe(Schema.between(8, 200)), { default: () => 42 }).annotations({
    description:
      "The widest line, in display columns: Chinese, Japanese, Korean and fullwidth characters count 2, others 1 (42 columns = 42 Latin or 21 Chinese characters)."
  }),
  max_lines: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 4)), { default: () => 2 }).annotations({
    description: "The most lines in one cue; a longer sentence is split into several cues."
  })
})

/** The warning logged when a transcript has no timestamps. */
const NO_TIMESTAMPS_WARNING =
  "the transcript has no timestamps (the model returned none), so the subtitle is one cue spanning the whole audio. For timed cues use a model that returns sentence timestamps and ask for them (timestamp_granularities: [sentence, word])."

const shape = (result: Transcribed, shaping: Cues.Shaping, format: string) =>
  Effect.gen(function*() {
    const shaped = Cues.fromTranscript(result.transcript, shaping, result.item.durationMs)
    if (shaped.untimed) yield* Effect.logWarning(`${format} for ${result.item.outputKey}: ${NO_TIMESTAMPS_WARNING}`)
    return shaped
  })

const safeSrt = (line: string): string => line.replace(/-->/g, "->")
const safeVtt = (line: string): string => line.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** The lines of an SRT cue; a diarized cue's first line starts with its speaker, `[S1] `. */
const srtLines = (cue: Cues.Cue): string => {
  const text = cue.lines.map(safeSrt).join("\n")
  return cue.speakerId === undefined ? text : `[${Speakers.label(cue.speakerId)}] ${text}`
}

/** The payload of a WebVTT cue; a diarized cue is one voice span, `<v Speaker 1>…`. */
const vttLines = (cue: Cues.Cue): string => {
  const text = cue.lines.map(safeVtt).join("\n")
  return cue.speakerId === undefined ? text : `<v ${Speakers.name(cue.speakerId)}>${text}`
}

/** An SRT document: numbered cues, `HH:MM:SS,mmm`, blank lines between; empty when there is no speech. */
export const renderSrt = (cues: ReadonlyArray<Cues.Cue>): string =>
  cues.map((cue, index) =>
    `${index + 1}\n${Timecode.srt(cue.startMs)} --> ${Timecode.srt(cue.endMs)}\n${srtLines(cue)}\n`
  ).join("\n")

/** A WebVTT document: the header, an optional NOTE, numbered cues with `HH:MM:SS.mmm`. */
export const renderVtt = (cues: ReadonlyArray<Cues.Cue>, note?: string | undefined): string =>
  [
    "WEBVTT\n",
    ...(note === undefined ? [] : [`NOTE ${note.replace(/-->/g, "->")}\n`]),
    ...cues.map((cue, index) =>
      `${index + 1}\n${Timecode.vtt(cue.startMs)} --> ${Timecode.vtt(cue.endMs)}\n${vttLines(cue)}\n`
    )
  ].join("\n")

/** Shapes and renders SRT, logging the warning for an untimed transcript. */
export const srt = (result: Transcribed, shaping: Cues.Shaping): Effect.Effect<string> =>
  Effect.map(
    shape(result, { ...shaping, speakerColumns: (speakerId) => Speakers.label(speakerId).length + 3 }, "srt"),
    (shaped) => renderSrt(shaped.cues)
  )

/** Shapes and renders WebVTT; an untimed transcript also carries the warning as a NOTE block. */
export const vtt = (result: Transcribed, shaping: Cues.Shaping): Effect.Effect<string> =>
  Effect.map(
    shape(result, shaping, "vtt"),
    (shaped) => renderVtt(shaped.cues, shaped.untimed ? NO_TIMESTAMPS_WARNING : undefined)
  )

/** A subtitle sink's config: its own `type` literal plus the shaping fields. */
export interface ShapingConfig {
  readonly type: string
  readonly dir: string
  readonly max_line_chars: number
  readonly max_lines: number
}

/** What one subtitle format adds to the shared sink. */
export interface Format<T extends string> {
  /** The sink type, also the file extension. */
  readonly type: T
  readonly description: string
  readonly render: (result: Transcribed, shaping: Cues.Shaping) => Effect.Effect<string>
}

/**
 * A subtitle sink component: `<dir>/<output key>.<type>` for every transcribed item, shaped by the config,
 * redacted and written atomically; failed items write nothing.
 */
export const component = <C extends ShapingConfig>(
  config: Schema.Schema<C, any>,
  format: Format<C["type"]>
): SinkComponent<C, FileSystem.FileSystem | Path.Path | RunContext> => ({
  kind: "sink",
  type: format.type,
  description: format.description,
  config,
  make: (config) =>
    ItemSink.make({
      name: format.type,
      dir: config.dir,
      ext: `.${format.type}`,
      writes: (result) => result._tag === "Transcribed",
      render: (result, redactor) =>
        result._tag === "Transcribed"
          ? format.render(result, { maxLineChars: config.max_line_chars, maxLines: config.max_lines }).pipe(
            Effect.map((text) => Option.some(redactor.string(text)))
          )
          : Effect.succeedNone
    })
})
