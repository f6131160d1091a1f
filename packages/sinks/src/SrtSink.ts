/**
 * The `srt` sink: `transcripts/<output key>.srt` holds subtitle cues built from the sentence (and
 * word) timestamps, shaped to `max_line_chars` and `max_lines`.
 *
 * @since 0.1.0
 */
import type { SinkComponent } from "@asrflow/core/Component"
import type { RunContext } from "@asrflow/core/RunContext"
import type { FileSystem, Path } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import * as ItemSink from "./internal/itemSink.js"
import * as Subtitles from "./internal/subtitles.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export class Config extends Schema.Class<Config>("SrtSinkConfig")({
  type: Schema.Literal("srt"),
  ...Subtitles.shapingFields
}, {
  description:
    "Writes <dir>/<output key>.srt: SubRip cues from the sentence timestamps, split at word timestamps when present. Failed items write nothing."
}) {}

/**
 * The warning logged when a transcript has no timestamps (one cue then spans the whole audio).
 *
 * @since 0.1.0
 * @category constants
 */
export const NO_TIMESTAMPS_WARNING: string = Subtitles.NO_TIMESTAMPS_WARNING

/**
 * @since 0.1.0
 * @category components
 */
export const component: SinkComponent<Config, FileSystem.FileSystem | Path.Path | RunContext> = {
  kind: "sink",
  type: "srt",
  description: "SubRip (.srt) subtitles from sentence and word timestamps, one file per item.",
  config: Config,
  make: (config) =>
    ItemSink.make({
      name: "srt",
      dir: config.dir,
      ext: ".srt",
      writes: (result) => result._tag === "Transcribed",
      render: (result, redactor) =>
        result._tag === "Transcribed"
          ? Subtitles.srt(result, { maxLineChars: config.max_line_chars, maxLines: config.max_lines }).pipe(
            Effect.map((text) => Option.some(redactor.string(text)))
          )
          : Effect.succeedNone
    })
}
