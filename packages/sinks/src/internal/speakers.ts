/**
 * Speaker labels of a diarized transcript, as every format shows them: `S1`, `S2`, … in text and SRT,
 * `Speaker 1`, … in WebVTT voice tags. A provider's speaker ids count from 0; labels count from 1.
 *
 * @since 0.2.0
 */
import type { Transcript } from "@asrflow/core/Transcript"
import { isWide } from "./cues.js"

/** The short label of a speaker id: `S1` for 0. */
export const label = (speakerId: number): string => `S${speakerId + 1}`

/** The long name of a speaker id: `Speaker 1` for 0. */
export const name = (speakerId: number): string => `Speaker ${speakerId + 1}`

/** True when any sentence carries a speaker. */
export const hasSpeakers = (transcript: Transcript): boolean =>
  transcript.sentences.some((sentence) => sentence.speakerId !== undefined)

/** One speaker's consecutive sentences. */
export interface Turn {
  readonly speakerId: number | undefined
  readonly text: string
}

/** Joins two pieces of text: no space between two wide (CJK) characters, one space otherwise. */
const join = (left: string, right: string): string => {
  if (left === "") return right
  const last = Array.from(left).at(-1) ?? ""
  const first = Array.from(right)[0] ?? ""
  return isWide(last) && isWide(first) ? left + right : `${left} ${right}`
}

/** The sentences grouped into turns: consecutive sentences of one speaker form one turn. */
export const turns = (transcript: Transcript): Array<Turn> => {
  const out: Array<{ speakerId: number | undefined; text: string }> = []
  for (const sentence of transcript.sentences) {
    const text = sentence.text.trim()
    if (text === "") continue
    const last = out.at(-1)
    if (last !== undefined && last.speakerId === sentence.speakerId) last.text = join(last.text, text)
    else out.push({ speakerId: sentence.speakerId, text })
  }
  return out
}
