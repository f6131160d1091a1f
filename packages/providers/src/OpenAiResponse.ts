/**
 * The answers of an OpenAI-compatible transcription server (docs/PROTOCOL.md, OpenAI-compatible transcription) and
 * their mapping to the canonical `Transcript`: `verbose_json` segments become sentences (seconds to ms) and its
 * words are placed in the segment they fall in; `json` and `text` give the text alone. Unknown keys are tolerated;
 * the raw answer is kept as evidence.
 *
 * @since 0.2.0
 */
import { TranscriptionError } from "@asrflow/core/Transcriber"
import { Evidence, Sentence, Transcript, Word } from "@asrflow/core/Transcript"
import { DateTime, Effect, Schema } from "effect"

const Segment = Schema.Struct({
  id: Schema.optional(Schema.Number),
  start: Schema.Number,
  end: Schema.Number,
  text: Schema.String
})

const WordTiming = Schema.Struct({ word: Schema.String, start: Schema.Number, end: Schema.Number })

/**
 * `verbose_json` (and `json`, which has `text` only).
 *
 * @since 0.2.0
 * @category schemas
 */
export const Verbose = Schema.Struct({
  text: Schema.String,
  language: Schema.optional(Schema.NullOr(Schema.String)),
  duration: Schema.optional(Schema.NullOr(Schema.Number)),
  segments: Schema.optional(Schema.NullOr(Schema.Array(Segment))),
  words: Schema.optional(Schema.NullOr(Schema.Array(WordTiming))),
  usage: Schema.optional(Schema.NullOr(Schema.Struct({ seconds: Schema.optional(Schema.Number) })))
})

/**
 * @since 0.2.0
 * @category schemas
 */
export type Verbose = typeof Verbose.Type

/** Whisper names languages in full in verbose_json; the transcript carries codes. */
const CODES: Record<string, string> = {
  english: "en",
  chinese: "zh",
  japanese: "ja",
  korean: "ko",
  german: "de",
  french: "fr",
  spanish: "es",
  italian: "it",
  portuguese: "pt",
  russian: "ru",
  cantonese: "yue",
  arabic: "ar",
  hindi: "hi",
  dutch: "nl",
  polish: "pl",
  turkish: "tr",
  ukrainian: "uk",
  vietnamese: "vi"
}

const ms = (seconds: number): number => Math.round(seconds * 1000)

const PUNCTUATION = /^(.*?)(\p{P}*)$/u

const toWord = (timing: typeof WordTiming.Type): Word => {
  const [, text, punctuation] = PUNCTUATION.exec(timing.word.trim()) ?? [timing.word, timing.word, ""]
  return new Word({
    beginMs: ms(timing.start),
    endMs: ms(timing.end),
    text: text ?? "",
    punctuation: punctuation ?? ""
  })
}

/**
 * Gives each word the punctuation that follows it in the segment's text: the API's words carry none, and
 * subtitles built from words should read like the text.
 */
const punctuate = (text: string, words: ReadonlyArray<Word>): Array<Word> => {
  const lower = text.toLowerCase()
  let cursor = 0
  return words.map((word) => {
    const at = word.text === "" ? -1 : lower.indexOf(word.text.toLowerCase(), cursor)
    if (at < 0 || word.punctuation !== "") return word
    cursor = at + word.text.length
    const trailing = /^\p{P}+/u.exec(text.slice(cursor))?.[0] ?? ""
    cursor += trailing.length
    return trailing === "" ? word : new Word({ ...word, punctuation: trailing })
  })
}

/** Sentences from segments, each with the words whose middle falls inside it; without segments, one of all words. */
const sentencesOf = (answer: Verbose): Array<Sentence> => {
  const words = (answer.words ?? []).map(toWord)
  const segments = answer.segments ?? []
  if (segments.length === 0) {
    return words.length === 0 ? [] : [
      new Sentence({
        id: 0,
        beginMs: words[0]!.beginMs,
        endMs: words.at(-1)!.endMs,
        text: answer.text.trim(),
        words: punctuate(answer.text, words)
      })
    ]
  }
  const begins = segments.map((segment) => ms(segment.start))
  const owner = (word: Word) => {
    const middle = (word.beginMs + word.endMs) / 2
    let index = 0
    while (index + 1 < begins.length && begins[index + 1]! <= middle) index++
    return index
  }
  const grouped = segments.map((): Array<Word> => [])
  for (const word of words) grouped[owner(word)]!.push(word)
  return segments.map((segment, index) =>
    new Sentence({
      id: segment.id ?? index,
      beginMs: ms(segment.start),
      endMs: ms(segment.end),
      text: segment.text.trim(),
      ...(answer.words !== undefined && answer.words !== null
        ? { words: punctuate(segment.text, grouped[index]!) }
        : {})
    })
  )
}

/**
 * The transcript of an answer in `format`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const toTranscript = (
  format: "verbose_json" | "json" | "text",
  text: string,
  params: {
    readonly model: string
    readonly input: string
    readonly warnings: ReadonlyArray<string>
    readonly durationMs?: number | undefined
    readonly requestId?: string | undefined
  }
): Effect.Effect<Transcript, TranscriptionError> =>
  Effect.gen(function*() {
    const decodeFailure = (description: string) =>
      new TranscriptionError({ provider: "openai", input: params.input, reason: "Decode", description })
    let raw: unknown = text
    let answer: Verbose = { text: text.replace(/\n$/, "") }
    if (format !== "text") {
      raw = yield* Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: () => decodeFailure(`expected JSON, got: ${text.slice(0, 200)}`)
      })
      answer = yield* Schema.decodeUnknown(Verbose)(raw).pipe(
        Effect.mapError((error) => decodeFailure(`unexpected answer: ${error.message}`))
      )
    }
    const at = DateTime.formatIso(yield* DateTime.now)
    const language = answer.language ? CODES[answer.language.toLowerCase()] ?? answer.language : undefined
    const durationMs = answer.duration !== undefined && answer.duration !== null
      ? ms(answer.duration)
      : params.durationMs
    const seconds = answer.usage?.seconds ?? (durationMs !== undefined ? Math.ceil(durationMs / 1000) : undefined)
    return new Transcript({
      text: answer.text.trim(),
      model: params.model,
      provider: "openai",
      status: "SUCCEEDED",
      ...(params.requestId !== undefined ? { requestId: params.requestId } : {}),
      ...(language !== undefined ? { language } : {}),
      ...(durationMs !== undefined ? { durationMs } : {}),
      ...(seconds !== undefined ? { usageSeconds: seconds } : {}),
      sentences: sentencesOf(answer),
      warnings: params.warnings,
      raw,
      evidence: [new Evidence({ phase: "transcribe", at, body: raw })]
    })
  })
