/**
 * Deterministic transcripts: configured text for a known audio (by sha256 or URL), otherwise text derived from
 * the audio hash; split into sentences and words spread over the real duration.
 *
 * @since 0.1.0
 */
import type { Segment } from "./AudioContent.js"
import { mulberry32, seedOf } from "./internal/random.js"
import { itn } from "./TextNormalization.js"

/**
 * @since 0.1.0
 * @category models
 */
export const EMOTIONS = ["surprised", "neutral", "happy", "sad", "disgusted", "angry", "fearful"] as const

/**
 * The 27 language codes (docs/PROTOCOL.md, Sync, OpenAI-compatible).
 *
 * @since 0.1.0
 * @category models
 */
export const LANGUAGES: ReadonlySet<string> = new Set([
  "zh",
  "yue",
  "en",
  "ja",
  "de",
  "ko",
  "ru",
  "fr",
  "pt",
  "ar",
  "it",
  "es",
  "hi",
  "id",
  "th",
  "tr",
  "uk",
  "vi",
  "cs",
  "da",
  "fil",
  "fi",
  "is",
  "ms",
  "no",
  "pl",
  "sv"
])

/**
 * The answer the real service gives when the declared MIME contradicts the bytes.
 *
 * @since 0.1.0
 * @category constants
 */
export const MIME_MISMATCH_TEXT = "嗯。"

/**
 * @since 0.1.0
 * @category models
 */
export interface Word {
  readonly begin_time: number
  readonly end_time: number
  readonly text: string
  readonly punctuation: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Sentence {
  readonly sentence_id: number
  readonly begin_time: number
  readonly end_time: number
  readonly text: string
  readonly language: string
  readonly emotion: string
  readonly words: ReadonlyArray<Word>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Transcript {
  readonly text: string
  readonly language: string
  readonly emotion: string
  readonly sentences: ReadonlyArray<Sentence>
  /** Streaming pieces; their concatenation is `text`. */
  readonly pieces: ReadonlyArray<string>
  readonly outputTokens: number
}

const VOCABULARY = (
  "the a quiet river runs past old stone houses where people gather every morning to share news about " +
  "weather markets music travel and small daily things that matter to them while children walk to school " +
  "and a baker opens early so bread is warm when the town wakes up slowly under a pale blue sky"
).split(" ")

const CJK = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/
const PUNCT = /^[,.!?;:，。！？；：、…]+$/
const TERMINATOR = /[.!?。！？]/

/**
 * Guesses the language of a configured text from its script.
 *
 * @since 0.1.0
 * @category utils
 */
export const detectLanguage = (text: string): string => {
  if (/[\u3040-\u30ff]/.test(text)) return "ja"
  if (/[\uac00-\ud7af]/.test(text)) return "ko"
  if (/[\u3400-\u9fff]/.test(text)) return "zh"
  if (/[\u0400-\u04ff]/.test(text)) return "ru"
  return "en"
}

const derivedText = (hash: string, durationMs: number): string => {
  const random = mulberry32(seedOf(hash))
  const wordCount = Math.max(3, Math.round((durationMs / 1000) * 2.5))
  const sentences: Array<string> = []
  let remaining = wordCount
  while (remaining > 0) {
    const length = Math.min(remaining, 5 + Math.floor(random() * 8))
    const words: Array<string> = []
    for (let i = 0; i < length; i++) words.push(VOCABULARY[Math.floor(random() * VOCABULARY.length)]!)
    sentences.push(sentence(words))
    remaining -= length
  }
  return sentences.join(" ")
}

const sentence = (words: ReadonlyArray<string>): string => {
  const text = words.join(" ")
  return text[0]!.toUpperCase() + text.slice(1) + "."
}

/** The words of a voiced segment: about 2.5 per second, drawn by its pitch (in 20 Hz steps), not its position. */
const segmentSentence = (segment: Segment): string => {
  const random = mulberry32(seedOf(`pitch:${Math.round(segment.hz / 20)}`))
  const count = Math.max(1, Math.round(((segment.endMs - segment.beginMs) / 1000) * 2.5))
  return sentence(Array.from({ length: count }, () => VOCABULARY[Math.floor(random() * VOCABULARY.length)]!))
}

const splitSentences = (text: string): Array<string> => {
  const out: Array<string> = []
  let current = ""
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    current += ch
    if (TERMINATOR.test(ch) && !TERMINATOR.test(text[i + 1] ?? "")) {
      if (current.trim().length > 0) out.push(current.trim())
      current = ""
    }
  }
  if (current.trim().length > 0) out.push(current.trim())
  return out.length > 0 ? out : [text]
}

/** Tokens of a sentence: CJK characters one by one, other text by whitespace; punctuation attaches left. */
const splitWords = (sentence: string): Array<{ text: string; punctuation: string }> => {
  const words: Array<{ text: string; punctuation: string }> = []
  const tokens = sentence.match(
    /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\s\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af,.!?;:，。！？；：、…]+|[,.!?;:，。！？；：、…]+/g
  ) ?? []
  for (const token of tokens) {
    if (PUNCT.test(token)) {
      const last = words[words.length - 1]
      if (last) last.punctuation += token
      else words.push({ text: "", punctuation: token })
    } else {
      words.push({ text: token, punctuation: "" })
    }
  }
  return words
}

const spread = (weights: ReadonlyArray<number>, begin: number, end: number): Array<[number, number]> => {
  const total = weights.reduce((a, b) => a + b, 0) || 1
  const span = Math.max(0, end - begin)
  const out: Array<[number, number]> = []
  let acc = 0
  for (const weight of weights) {
    const b = begin + Math.round((acc / total) * span)
    acc += weight
    const e = begin + Math.round((acc / total) * span)
    out.push([b, e])
  }
  return out
}

const makePieces = (text: string): Array<string> => {
  const pieces: Array<string> = []
  const cjk = CJK.test(text)
  const parts = cjk ? text.match(/.{1,4}/gsu) ?? [text] : text.match(/\S+\s*/g) ?? [text]
  const group = cjk ? 1 : 3
  for (let i = 0; i < parts.length; i += group) pieces.push(parts.slice(i, i + group).join(""))
  return pieces.length > 0 ? pieces : [text]
}

const countTokens = (text: string): number => {
  const cjk = text.match(/[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/g)?.length ?? 0
  const latin = text.replace(/[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/g, " ").match(/[A-Za-z0-9']+/g)?.length ?? 0
  const punct = text.match(/[,.!?;:，。！？；：、…]/g)?.length ?? 0
  return Math.max(1, cjk + latin + punct)
}

/**
 * Token estimate for context text (system messages).
 *
 * @since 0.1.0
 * @category utils
 */
export const estimateTokens = (text: string): number => (text.length === 0 ? 0 : countTokens(text))

export {
  /**
   * Inverse text normalization: English and Chinese number words become digits.
   *
   * @since 0.1.0
   * @category utils
   */
  itn
}

/**
 * Builds the transcript of one audio.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: {
  readonly hash: string
  readonly durationMs: number
  readonly configured?: string | undefined
  readonly language?: string | undefined
  readonly mimeMismatch?: boolean | undefined
  readonly itn?: boolean | undefined
  /** The voiced segments of the audio: the text follows them, one sentence each, at their times. */
  readonly segments?: ReadonlyArray<Segment> | undefined
}): Transcript => {
  const fromAudio = options.mimeMismatch || options.configured !== undefined ? undefined : options.segments
  const raw = options.mimeMismatch
    ? MIME_MISMATCH_TEXT
    : options.configured ?? (fromAudio === undefined
      ? derivedText(options.hash, options.durationMs)
      : fromAudio.map(segmentSentence).join(" "))
  const text = options.itn ? itn(raw) : raw
  const language = options.mimeMismatch ? "zh" : options.language ?? detectLanguage(text)
  const emotionRandom = mulberry32(seedOf(options.hash) ^ 0x9e3779b9)
  const emotionOf = () => (emotionRandom() < 0.7 ? "neutral" : EMOTIONS[Math.floor(emotionRandom() * EMOTIONS.length)]!)
  const sentenceTexts = fromAudio?.length === 0 ? [] : splitSentences(text)
  const durationMs = Math.max(0, Math.floor(options.durationMs))
  const slots: ReadonlyArray<readonly [number, number]> = fromAudio?.length === sentenceTexts.length
    ? fromAudio.map((segment) => [segment.beginMs, Math.min(segment.endMs, durationMs)] as const)
    : spread(sentenceTexts.map((s) => Math.max(1, s.length)), 0, durationMs)
  const sentences: Array<Sentence> = sentenceTexts.map((sentence, index) => {
    const [begin, end] = slots[index]!
    const words = splitWords(sentence)
    const wordSlots = spread(words.map((w) => Math.max(1, w.text.length)), begin, end)
    return {
      sentence_id: index,
      begin_time: begin,
      end_time: end,
      text: sentence,
      language,
      emotion: emotionOf(),
      words: words.map((w, i) => ({
        begin_time: wordSlots[i]![0],
        end_time: wordSlots[i]![1],
        text: w.text,
        punctuation: w.punctuation
      }))
    }
  })
  return {
    text,
    language,
    emotion: sentences[0]?.emotion ?? "neutral",
    sentences,
    pieces: makePieces(text),
    outputTokens: countTokens(text)
  }
}
