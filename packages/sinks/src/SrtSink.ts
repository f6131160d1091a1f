/**
 * The `srt` sink: `transcripts/<output key>.srt` holds subtitle cues built from the sentence (and
 * word) timestamps, shaped to `max_line_chars` and `max_lines`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as Subtitles from "./internal/subtitles.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export class Config extends Schema.Class<Config>("SrtSinkConfig")(Subtitles.configFields("srt"), {
  description:
    "Writes <dir>/<output key>.srt: SubRip cues from the sentence timestamps, split at word timestamps when present. A diarized cue starts with its speaker, [S1]. Failed items write nothing."
}) {}

/**
 * @since 0.1.0
 * @category components
 */
export const component = Subtitles.component(Config, {
  type: "srt",
  description: "SubRip (.srt) subtitles from sentence and word timestamps, one file per item.",
  render: Subtitles.srt
})
