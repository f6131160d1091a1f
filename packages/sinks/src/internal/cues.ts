/**
 * Subtitle cues from a canonical transcript: line shaping, splitting long sentences, and timing.
 *
 * Rules:
 * - Width is measured in display columns: East Asian wide and fullwidth characters (Chinese, Japanese,
 *   Korean, fullwidth punctuation) count 2, everything else 1. So `max_line_chars: 42` holds 42 Latin
 *   characters or 21 Chinese ones, close to the usual 16–20 per line for Chinese subtitles.
 * - A cue holds at most `max_lines` lines of at most `max_line_chars` columns. Lines break between
 *   tokens: Latin words (split at spaces) and single CJK characters; punctuation stays with the token
 *   before it. A single token wider than a line is cut.
 * - A sentence that needs more than one cue is split. With word timestamps, cues start and end exactly
 *   at the words they hold (a multi-character word is never split across cues); without them the
 *   sentence's time is shared out in proportion to the width of the text.
 * - Cues are sorted by start and never overlap: a cue that runs into the next one ends where the next
 *   begins (a cue swallowed whole is merged into the next). Empty sentences give no cue.
 * - No timestamps at all (sync models): one cue over the whole duration, every line of the text.
 *
 * @since 0.1.0
 */
import type { Transcript } from "@asrflow/core/Transcript"

/** One subtitle cue. */
export interface Cue {
  readonly startMs: number
  readonly endMs: number
  readonly lines: ReadonlyArray<string>
  /** The speaker of a diarized sentence (a 0-based id). */
  readonly speakerId?: number | undefined
}

/** Line-shaping options. */
export interface Shaping {
  readonly maxLineChars: number
  readonly maxLines: number
  /** The columns a format's speaker prefix takes on a diarized cue's line (SRT's `[S1] `), kept free. */
  readonly speakerColumns?: ((speakerId: number) => number) | undefined
}

// =============================================================================
// Width
// =============================================================================

const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd]
]

/** True for East Asian wide and fullwidth characters. */
export const isWide = (char: string): boolean => {
  const code = char.codePointAt(0) ?? 0
  return WIDE_RANGES.some(([from, to]) => code >= from && code <= to)
}

/** Display width in columns (wide characters count 2). */
export const width = (text: string): number => {
  let total = 0
  for (const char of text) total += isWide(char) ? 2 : 1
  return total
}

// =============================================================================
// Tokens
// =============================================================================

interface Token {
  readonly text: string
  readonly spaceBefore: boolean
  startMs: number
  endMs: number
}

const PUNCTUATION = /^\p{P}+$/u

const chars = (text: string): Array<string> => Array.from(text)

const OPENING = /^[\p{Ps}\p{Pi}]$/u

/**
 * Splits text into tokens: runs of non-wide characters between spaces, and single wide characters.
 * Closing punctuation stays with the token before it, opening brackets and quotes with the token after.
 * `start` and `end` count characters with whitespace removed.
 */
const tokenizeText = (text: string): Array<{ text: string; spaceBefore: boolean; start: number; end: number }> => {
  const tokens: Array<{ text: string; spaceBefore: boolean; start: number; end: number }> = []
  let pendingSpace = false
  let offset = 0
  let prefix = ""
  let prefixStart = 0
  let current: { text: string; spaceBefore: boolean; start: number; end: number } | undefined
  const flush = () => {
    if (current !== undefined) tokens.push(current)
    current = undefined
  }
  const open = (char: string) => {
    const token = {
      text: prefix + char,
      spaceBefore: pendingSpace,
      start: prefix === "" ? offset : prefixStart,
      end: offset + 1
    }
    prefix = ""
    pendingSpace = false
    return token
  }
  for (const char of chars(text)) {
    if (/\s/u.test(char)) {
      flush()
      if (tokens.length > 0 || prefix !== "") pendingSpace = true
      continue
    }
    const wide = isWide(char)
    const punctuation = PUNCTUATION.test(char)
    if (OPENING.test(char)) {
      flush()
      if (prefix === "") prefixStart = offset
      prefix += char
    } else if (punctuation && prefix === "" && current === undefined && tokens.length > 0 && !pendingSpace) {
      const last = tokens[tokens.length - 1]
      last.text += char
      last.end = offset + 1
    } else if (punctuation && prefix === "" && current !== undefined) {
      current.text += char
      current.end = offset + 1
    } else if (wide) {
      flush()
      tokens.push(open(char))
    } else if (current !== undefined) {
      current.text += char
      current.end = offset + 1
    } else {
      current = open(char)
    }
    offset += 1
  }
  flush()
  if (prefix !== "") {
    tokens.push({ text: prefix, spaceBefore: pendingSpace, start: prefixStart, end: offset })
  }
  return tokens
}

const compact = (text: string): string => text.replace(/\s+/gu, "")

/**
 * Tokens of a sentence with times. With words whose text matches the sentence, the sentence's own text
 * is kept and each token takes the times of its words; tokens inside one word are merged so that a cue
 * never splits a word. With words that do not match, the words themselves are the tokens. Without words,
 * times are shared out by width.
 */
const sentenceTokens = (sentence: Transcript["sentences"][number]): Array<Token> => {
  const words = (sentence.words ?? []).filter((word) => compact(word.text + word.punctuation) !== "")
  const textTokens = tokenizeText(sentence.text)
  if (words.length > 0) {
    const wordOf: Array<number> = []
    words.forEach((word, index) => {
      for (const _ of chars(compact(word.text + word.punctuation))) wordOf.push(index)
    })
    const aligned = words.map((word) => compact(word.text + word.punctuation)).join("") === compact(sentence.text)
    if (aligned) {
      const merged: Array<Token> = []
      let lastWordEnd = -1
      for (const token of textTokens) {
        const first = wordOf[token.start]
        const last = wordOf[token.end - 1]
        const previous = merged[merged.length - 1]
        if (previous !== undefined && !token.spaceBefore && first === lastWordEnd) {
          merged[merged.length - 1] = {
            text: previous.text + token.text,
            spaceBefore: previous.spaceBefore,
            startMs: previous.startMs,
            endMs: words[last].endMs
          }
        } else {
          merged.push({
            text: token.text,
            spaceBefore: token.spaceBefore,
            startMs: words[first].beginMs,
            endMs: words[last].endMs
          })
        }
        lastWordEnd = last
      }
      return merged
    }
    return words.map((word, index) => {
      const text = word.text.trim() + word.punctuation
      const previous = index > 0 ? words[index - 1] : undefined
      const previousText = previous ? previous.text.trim() + previous.punctuation : ""
      const spaceBefore = index > 0 && (/^\s/u.test(word.text) ||
        (!isWide(chars(previousText).at(-1) ?? "") && !isWide(chars(text)[0] ?? "")))
      return { text, spaceBefore, startMs: word.beginMs, endMs: word.endMs }
    })
  }
  const total = textTokens.reduce((sum, token) => sum + width(token.text), 0)
  const span = Math.max(0, sentence.endMs - sentence.beginMs)
  let done = 0
  return textTokens.map((token) => {
    const startMs = sentence.beginMs + Math.round((span * done) / Math.max(1, total))
    done += width(token.text)
    const endMs = sentence.beginMs + Math.round((span * done) / Math.max(1, total))
    return { text: token.text, spaceBefore: token.spaceBefore, startMs, endMs }
  })
}

/** Cuts tokens wider than a line into pieces, sharing the token's time by width. */
const cutWide = (tokens: ReadonlyArray<Token>, maxLineChars: number): Array<Token> =>
  tokens.flatMap((token) => {
    if (width(token.text) <= maxLineChars) return [token]
    const pieces: Array<string> = []
    let piece = ""
    for (const char of chars(token.text)) {
      if (piece !== "" && width(piece + char) > maxLineChars) {
        pieces.push(piece)
        piece = ""
      }
      piece += char
    }
    if (piece !== "") pieces.push(piece)
    const total = width(token.text)
    const span = token.endMs - token.startMs
    let done = 0
    return pieces.map((text, index) => {
      const startMs = token.startMs + Math.round((span * done) / total)
      done += width(text)
      return {
        text,
        spaceBefore: index === 0 ? token.spaceBefore : false,
        startMs,
        endMs: token.startMs + Math.round((span * done) / total)
      }
    })
  })

interface Line {
  text: string
  readonly tokens: Array<Token>
}

/** Greedy line filling. */
const wrap = (tokens: ReadonlyArray<Token>, maxLineChars: number): Array<Line> => {
  const lines: Array<Line> = []
  let line: Line | undefined
  for (const token of cutWide(tokens, maxLineChars)) {
    const joined = line === undefined ? token.text : line.text + (token.spaceBefore ? " " : "") + token.text
    if (line !== undefined && width(joined) <= maxLineChars) {
      line.text = joined
      line.tokens.push(token)
    } else {
      line = { text: token.text, tokens: [token] }
      lines.push(line)
    }
  }
  return lines
}

// =============================================================================
// Cues
// =============================================================================

/** Wraps plain text into lines (no line limit), for the whole-duration cue. */
export const wrapText = (text: string, maxLineChars: number): Array<string> =>
  wrap(
    tokenizeText(text).map((token) => ({ text: token.text, spaceBefore: token.spaceBefore, startMs: 0, endMs: 0 })),
    maxLineChars
  ).map((line) => line.text)

/** Cues of one sentence. */
const sentenceCues = (sentence: Transcript["sentences"][number], shaping: Shaping): Array<Cue> => {
  const prefix = sentence.speakerId === undefined ? 0 : shaping.speakerColumns?.(sentence.speakerId) ?? 0
  const lines = wrap(
    sentenceTokens(sentence),
    prefix === 0 ? shaping.maxLineChars : Math.max(2, shaping.maxLineChars - prefix)
  )
  const cues: Array<Cue> = []
  for (let index = 0; index < lines.length; index += shaping.maxLines) {
    const group = lines.slice(index, index + shaping.maxLines)
    const tokens = group.flatMap((line) => line.tokens)
    cues.push({
      startMs: Math.min(...tokens.map((token) => token.startMs)),
      endMs: Math.max(...tokens.map((token) => token.endMs)),
      lines: group.map((line) => line.text),
      ...(sentence.speakerId === undefined ? {} : { speakerId: sentence.speakerId })
    })
  }
  return cues
}

/** Sorts cues and removes overlaps: a cue ends where the next starts; one swallowed whole joins the next. */
export const settle = (cues: ReadonlyArray<Cue>): Array<Cue> => {
  const sorted = cues
    .map((cue, index) => ({ cue: { ...cue, endMs: Math.max(cue.endMs, cue.startMs + 1) }, index }))
    .sort((a, b) => a.cue.startMs - b.cue.startMs || a.index - b.index)
    .map(({ cue }) => cue)
  const settled: Array<Cue> = []
  for (let index = 0; index < sorted.length; index++) {
    const cue = sorted[index]
    const next = sorted[index + 1]
    if (next !== undefined && cue.endMs > next.startMs) {
      if (next.startMs <= cue.startMs) {
        sorted[index + 1] = {
          startMs: cue.startMs,
          endMs: Math.max(cue.endMs, next.endMs),
          lines: [...cue.lines, ...next.lines],
          ...(cue.speakerId === undefined ? {} : { speakerId: cue.speakerId })
        }
        continue
      }
      settled.push({ ...cue, endMs: next.startMs })
    } else {
      settled.push(cue)
    }
  }
  return settled
}

/** True when the transcript has sentence timestamps to build cues from. */
export const hasTimestamps = (transcript: Transcript): boolean =>
  transcript.sentences.some((sentence) => sentence.endMs > 0 && sentence.text.trim() !== "")

/** The duration to span when there are no timestamps: known duration, billed seconds, or ~80 ms per column. */
export const fallbackDurationMs = (transcript: Transcript, itemDurationMs: number | undefined): number =>
  transcript.durationMs ?? itemDurationMs ??
    (transcript.usageSeconds !== undefined && transcript.usageSeconds > 0
      ? transcript.usageSeconds * 1000
      : Math.max(1000, width(transcript.text) * 80))

/** The result of shaping a transcript into cues. */
export interface Shaped {
  readonly cues: ReadonlyArray<Cue>
  /** True when the transcript had no timestamps and one cue spans the whole duration. */
  readonly untimed: boolean
}

/** Builds the cues of a transcript. */
export const fromTranscript = (
  transcript: Transcript,
  shaping: Shaping,
  itemDurationMs?: number | undefined
): Shaped => {
  if (hasTimestamps(transcript)) {
    const cues = transcript.sentences
      .filter((sentence) => sentence.text.trim() !== "")
      .flatMap((sentence) => sentenceCues(sentence, shaping))
    return { cues: settle(cues), untimed: false }
  }
  const text = transcript.text.trim()
  if (text === "") return { cues: [], untimed: false }
  return {
    cues: [{
      startMs: 0,
      endMs: fallbackDurationMs(transcript, itemDurationMs),
      lines: wrapText(text, shaping.maxLineChars)
    }],
    untimed: true
  }
}
