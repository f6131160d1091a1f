/**
 * Stitching the transcripts of a recording's chunks back into one: pure functions, for any provider's
 * split route.
 *
 * - Text in chunk order. Where two chunks overlap (a cut with no pause), the words heard twice are
 *   kept once: the longest run of words that ends the first chunk's tail and also appears in the
 *   second chunk's head marks the seam; the words after it in the first chunk (a word cut at the
 *   overlap's end) and before it in the second (one cut at its start) are dropped.
 * - Sentences with times: the model's own, moved by the chunk's offset, when it returns them; otherwise
 *   the chunk's text is split at sentence ends and laid over the chunk's voiced stretches (the audio
 *   between its pauses): one sentence per stretch when the counts agree, else in proportion to length.
 *
 * @since 0.2.0
 */
import type { Pause } from "./ChunkPlan.js"
import { Sentence } from "./Transcript.js"

/**
 * A sentence with times in ms.
 *
 * @since 0.2.0
 * @category models
 */
export interface TimedText {
  readonly beginMs: number
  readonly endMs: number
  readonly text: string
}

/**
 * One chunk's transcript, with its place in the recording.
 *
 * @since 0.2.0
 * @category models
 */
export interface ChunkText {
  readonly startMs: number
  readonly endMs: number
  readonly text: string
  /** The model's own sentence times, relative to the chunk's start. */
  readonly sentences?: ReadonlyArray<TimedText> | undefined
  readonly language?: string | undefined
  readonly emotion?: string | undefined
}

// =============================================================================
// Words
// =============================================================================

// CJK characters are words of their own; anything else is split at white space
const TOKEN =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}][\p{P}\p{S}]*|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu

interface Token {
  readonly key: string
  readonly start: number
  readonly end: number
}

const tokens = (text: string): Array<Token> =>
  Array.from(text.matchAll(TOKEN), (match) => ({
    key: match[0].toLowerCase().replace(/[\p{P}\p{S}]/gu, ""),
    start: match.index,
    end: match.index + match[0].length
  })).filter((token) => token.key.length > 0)

/**
 * The seam of two overlapping transcripts: how much of `first` to keep (a character count) and where
 * `second` resumes after the words both heard (a character index). Without a common word, both stay whole.
 *
 * @since 0.2.0
 * @category utils
 */
export const seam = (
  first: string,
  second: string,
  overlapMs: number
): { readonly keepFirst: number; readonly resumeSecond: number } => {
  const window = Math.ceil((overlapMs / 1000) * 6) + 2
  const tail = tokens(first).slice(-window)
  const head = tokens(second).slice(0, window)
  let best: { readonly length: number; readonly tailEnd: number; readonly headEnd: number } | undefined
  for (let i = 0; i < tail.length; i++) {
    for (let j = 0; j < head.length; j++) {
      let length = 0
      while (i + length < tail.length && j + length < head.length && tail[i + length]!.key === head[j + length]!.key) {
        length++
      }
      // the longest run wins; among equals, the one nearest the seam (latest in the tail)
      if (length > 0 && (best === undefined || length >= best.length)) {
        best = { length, tailEnd: i + length - 1, headEnd: j + length - 1 }
      }
    }
  }
  if (best === undefined) return { keepFirst: first.length, resumeSecond: 0 }
  return { keepFirst: tail[best.tailEnd]!.end, resumeSecond: head[best.headEnd]!.end }
}

const isCjk = (char: string | undefined): boolean =>
  char !== undefined && /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{P}]/u.test(char) &&
  !/[.,!?;:]/.test(char)

/** Two pieces of text joined with a space unless both sides are CJK (or either is empty). */
const join = (left: string, right: string): string => {
  if (left.length === 0) return right
  if (right.length === 0) return left
  return isCjk(left.at(-1)) && isCjk(right[0]) ? left + right : `${left} ${right}`
}

// =============================================================================
// Sentences
// =============================================================================

/**
 * Splits text after sentence-ending punctuation (`.`, `!`, `?`, `。`, `！`, `？`, `…`).
 *
 * @since 0.2.0
 * @category utils
 */
export const sentencesOf = (text: string): Array<string> =>
  Array.from(text.matchAll(/[^.!?。！？…]+(?:[.!?。！？…]+["'”’)\]]*|$)/gu), (match) => match[0].trim())
    .filter((sentence) => sentence.length > 0)

/**
 * The voiced stretches of `[startMs, endMs)`: what lies between the pauses.
 *
 * @since 0.2.0
 * @category utils
 */
export const voicedStretches = (
  pauses: ReadonlyArray<Pause>,
  startMs: number,
  endMs: number
): Array<{ readonly beginMs: number; readonly endMs: number }> => {
  const stretches: Array<{ beginMs: number; endMs: number }> = []
  let at = startMs
  for (const pause of pauses) {
    if (pause.endMs <= startMs || pause.beginMs >= endMs) continue
    if (pause.beginMs > at) stretches.push({ beginMs: at, endMs: pause.beginMs })
    at = Math.max(at, pause.endMs)
  }
  if (at < endMs) stretches.push({ beginMs: at, endMs })
  return stretches.length > 0 ? stretches : [{ beginMs: startMs, endMs }]
}

/** Lays sentences over the stretches: one each when the counts agree, else in proportion to length. */
const layOut = (
  sentences: ReadonlyArray<string>,
  stretches: ReadonlyArray<{ readonly beginMs: number; readonly endMs: number }>
): Array<TimedText> => {
  if (sentences.length === stretches.length) {
    return sentences.map((text, i) => ({ beginMs: stretches[i]!.beginMs, endMs: stretches[i]!.endMs, text }))
  }
  const voiced = stretches.reduce((sum, stretch) => sum + stretch.endMs - stretch.beginMs, 0)
  const chars = sentences.reduce((sum, sentence) => sum + sentence.length, 0)
  // the time at a share of the voiced audio, skipping the pauses between stretches; a sentence that
  // begins where a stretch ends begins at the next stretch
  const timeAt = (share: number, edge: "begin" | "end"): number => {
    let left = share * voiced
    for (const stretch of stretches) {
      const length = stretch.endMs - stretch.beginMs
      if (edge === "begin" ? left < length : left <= length) return stretch.beginMs + left
      left -= length
    }
    return stretches.at(-1)!.endMs
  }
  let done = 0
  return sentences.map((text) => {
    const beginMs = timeAt(done / chars, "begin")
    done += text.length
    return { beginMs, endMs: timeAt(done / chars, "end"), text }
  })
}

// =============================================================================
// Stitching
// =============================================================================

/**
 * The recording's text and sentences from its chunks, in order. `pauses` are the recording's.
 *
 * @since 0.2.0
 * @category constructors
 */
export const stitch = (
  chunks: ReadonlyArray<ChunkText>,
  pauses: ReadonlyArray<Pause>
): { readonly text: string; readonly sentences: ReadonlyArray<Sentence> } => {
  const texts = chunks.map((chunk) => chunk.text.trim())
  // where a chunk overlaps the previous one, cut both texts at their seam
  const starts = texts.map(() => 0)
  const ends = texts.map((text) => text.length)
  for (let i = 1; i < chunks.length; i++) {
    const overlapMs = chunks[i - 1]!.endMs - chunks[i]!.startMs
    if (overlapMs <= 0) continue
    const cut = seam(texts[i - 1]!.slice(starts[i - 1], ends[i - 1]), texts[i]!, overlapMs)
    ends[i - 1] = starts[i - 1]! + cut.keepFirst
    starts[i] = cut.resumeSecond
  }
  const kept = texts.map((text, i) => text.slice(starts[i], ends[i]).trim())
  const timed = chunks.flatMap((chunk, i) => {
    const from = i > 0 ? Math.max(chunk.startMs, chunks[i - 1]!.endMs) : chunk.startMs
    const own = chunk.sentences
    const laid = own !== undefined && own.length > 0
      ? own.map((s) => ({ beginMs: s.beginMs + chunk.startMs, endMs: s.endMs + chunk.startMs, text: s.text }))
        .filter((s) => s.endMs > from)
      : layOut(sentencesOf(kept[i]!), voicedStretches(pauses, from, chunk.endMs))
    return laid.map((sentence) => ({ ...sentence, chunk }))
  })
  return {
    text: kept.reduce(join, ""),
    sentences: timed.map((sentence, id) =>
      new Sentence({
        id,
        channelId: 0,
        beginMs: Math.round(sentence.beginMs),
        endMs: Math.round(Math.max(sentence.beginMs, sentence.endMs)),
        text: sentence.text,
        ...(sentence.chunk.language !== undefined ? { language: sentence.chunk.language } : {}),
        ...(sentence.chunk.emotion !== undefined ? { emotion: sentence.chunk.emotion } : {})
      })
    )
  }
}
