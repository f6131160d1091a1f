/**
 * The `vtt` sink: `transcripts/<output key>.vtt` holds subtitle cues built from the sentence (and
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
export class Config extends Schema.Class<Config>("VttSinkConfig")(Subtitles.configFields("vtt"), {
  description:
    "Writes <dir>/<output key>.vtt: WebVTT cues from the sentence timestamps, split at word timestamps when present. A diarized cue is a voice span, <v Speaker 1>. Failed items write nothing."
}) {}

/**
 * @since 0.1.0
 * @category components
 */
export const component = Subtitles.component(Config, {
  type: "vtt",
  description: "WebVTT (.vtt) subtitles from sentence and word timestamps, one file per item.",
  render: Subtitles.vtt
})
