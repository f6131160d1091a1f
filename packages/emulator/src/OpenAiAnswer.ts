/**
 * The answers of the OpenAI-compatible transcription route in each `response_format` (docs/PROTOCOL.md,
 * OpenAI-compatible transcription): `json` `{text}`, `text`, `srt`, `vtt`, and `verbose_json`
 * `{task, language, duration, text, segments?, words?, usage}` with times in seconds.
 *
 * @since 0.2.0
 */
import type { Transcript } from "./Transcripts.js"

/** Whisper names languages in full in verbose_json. */
const NAMES: Record<string, string> = {
  en: "english",
  zh: "chinese",
  ja: "japanese",
  ko: "korean",
  de: "german",
  fr: "french",
  es: "spanish",
  it: "italian",
  pt: "portuguese",
  ru: "russian",
  yue: "cantonese",
  ar: "arabic",
  hi: "hindi"
}

const seconds = (ms: number): number => Math.round(ms) / 1000

const clock = (ms: number, separator: string): string => {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0")
  const whole = Math.max(0, Math.round(ms))
  return `${pad(Math.floor(whole / 3_600_000))}:${pad(Math.floor(whole / 60_000) % 60)}:${
    pad(Math.floor(whole / 1000) % 60)
  }${separator}${pad(whole % 1000, 3)}`
}

/**
 * An answer: a JSON body, or text with its content type.
 *
 * @since 0.2.0
 * @category models
 */
export type Answer =
  | { readonly _tag: "Json"; readonly json: unknown }
  | { readonly _tag: "Text"; readonly text: string; readonly contentType: string }

/**
 * Renders a transcript in a response format.
 *
 * @since 0.2.0
 * @category constructors
 */
export const render = (
  format: string,
  transcript: Transcript,
  options: { readonly durationMs: number; readonly words: boolean; readonly segments: boolean }
): Answer => {
  const sentences = transcript.sentences
  switch (format) {
    case "text":
      return { _tag: "Text", text: `${transcript.text}\n`, contentType: "text/plain; charset=utf-8" }
    case "srt":
      return {
        _tag: "Text",
        text: sentences.map((s, i) =>
          `${i + 1}\n${clock(s.begin_time, ",")} --> ${clock(s.end_time, ",")}\n${s.text}\n`
        ).join("\n"),
        contentType: "text/plain; charset=utf-8"
      }
    case "vtt":
      return {
        _tag: "Text",
        text: [
          "WEBVTT\n",
          ...sentences.map((s) => `${clock(s.begin_time, ".")} --> ${clock(s.end_time, ".")}\n${s.text}\n`)
        ]
          .join("\n"),
        contentType: "text/vtt; charset=utf-8"
      }
    case "verbose_json":
      return {
        _tag: "Json",
        json: {
          task: "transcribe",
          language: NAMES[transcript.language] ?? transcript.language,
          duration: seconds(options.durationMs),
          text: transcript.text,
          ...(options.segments
            ? {
              segments: sentences.map((s, id) => ({
                id,
                seek: 0,
                start: seconds(s.begin_time),
                end: seconds(s.end_time),
                text: ` ${s.text}`,
                tokens: [],
                temperature: 0,
                avg_logprob: -0.25,
                compression_ratio: 1.2,
                no_speech_prob: 0.01
              }))
            }
            : {}),
          ...(options.words
            ? {
              words: sentences.flatMap((s) =>
                s.words.filter((w) => w.text !== "").map((w) => ({
                  word: w.text,
                  start: seconds(w.begin_time),
                  end: seconds(w.end_time)
                }))
              )
            }
            : {}),
          usage: { type: "duration", seconds: Math.ceil(options.durationMs / 1000) }
        }
      }
    default:
      return {
        _tag: "Json",
        json: { text: transcript.text, usage: { type: "duration", seconds: Math.ceil(options.durationMs / 1000) } }
      }
  }
}
