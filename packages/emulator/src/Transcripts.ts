/**
 * Deterministic transcripts: configured text for a known audio (by sha256 or URL), otherwise text derived from
 * the audio hash; split into sentences and words spread over the real duration.
 *
 * @since 0.1.0
 */
import { mulberry32, seedOf } from "./internal/random.js"

/**
 * @since 0.1.0
 * @category models
 */
export const EMOTIONS = ["surprised", "neutral", "happy", "sad", "disgusted", "angry", "fearful"] as const

/**
 * The 27 language codes of docs/PROTOCOL.md §4.1.
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
    const sentence = words.join(" ")
    sentences.push(sentence[0]!.toUpperCase() + sentence.slice(1) + ".")
    remaining -= length
  }
  return sentences.join(" ")
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

// =============================================================================
// Inverse text normalization (enable_itn): spoken numbers become digits, for zh and en
// =============================================================================

const EN_UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90
}
const EN_SCALES: Record<string, number> = { hundred: 100, thousand: 1000, million: 1_000_000 }
const EN_NUMBER = new RegExp(
  `\\b(?:${[...Object.keys(EN_UNITS), ...Object.keys(EN_SCALES)].join("|")})(?:[\\s-]+(?:and[\\s]+)?(?:${
    [...Object.keys(EN_UNITS), ...Object.keys(EN_SCALES)].join("|")
  }))*\\b`,
  "gi"
)

const englishValue = (words: ReadonlyArray<string>): number => {
  let total = 0
  let current = 0
  for (const word of words) {
    const unit = EN_UNITS[word]
    if (unit !== undefined) current += unit
    else if (word === "hundred") current = (current || 1) * 100
    else {
      total += (current || 1) * EN_SCALES[word]!
      current = 0
    }
  }
  return total + current
}

const ZH_DIGITS: Record<string, number> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9
}
const ZH_SCALES: Record<string, number> = { 十: 10, 百: 100, 千: 1000, 万: 10_000 }

const chineseValue = (text: string): number => {
  let total = 0
  let section = 0
  let digit = 0
  for (const ch of text) {
    const d = ZH_DIGITS[ch]
    if (d !== undefined) {
      digit = d
      continue
    }
    const scale = ZH_SCALES[ch]!
    if (scale === 10_000) {
      total += (section + digit) * scale
      section = 0
    } else {
      section += (digit || (scale === 10 ? 1 : 0)) * scale
    }
    digit = 0
  }
  return total + section + digit
}

/**
 * Inverse text normalization: English and Chinese number words become digits.
 *
 * @since 0.1.0
 * @category utils
 */
export const itn = (text: string): string =>
  text
    .replace(EN_NUMBER, (match) => {
      const words = match.toLowerCase().split(/[\s-]+/).filter((w) => w !== "and")
      return String(englishValue(words))
    })
    .replace(/[零〇一二两三四五六七八九十百千万]{2,}|[零〇一二两三四五六七八九十]+(?=[个点号岁年月日元])/g, (match) =>
      String(chineseValue(match)))

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
}): Transcript => {
  const raw = options.mimeMismatch
    ? MIME_MISMATCH_TEXT
    : options.configured ?? derivedText(options.hash, options.durationMs)
  const text = options.itn ? itn(raw) : raw
  const language = options.mimeMismatch ? "zh" : options.language ?? detectLanguage(text)
  const emotionRandom = mulberry32(seedOf(options.hash) ^ 0x9e3779b9)
  const emotionOf = () => (emotionRandom() < 0.7 ? "neutral" : EMOTIONS[Math.floor(emotionRandom() * EMOTIONS.length)]!)
  const sentenceTexts = splitSentences(text)
  const durationMs = Math.max(0, Math.floor(options.durationMs))
  const slots = spread(sentenceTexts.map((s) => Math.max(1, s.length)), 0, durationMs)
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
