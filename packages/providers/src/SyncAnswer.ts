/**
 * What a sync Qwen answer says, whichever protocol (OpenAI-compatible or native) and framing (one body
 * or SSE events) it came in, and the canonical `Transcript` made of it. Pure functions.
 *
 * @since 0.2.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import { Evidence, Transcript } from "@asrflow/core/Transcript"
import type * as Wire from "./internal/schemas.js"

/**
 * What a sync answer says, whichever protocol and framing it came in.
 *
 * @since 0.1.0
 * @category models
 */
export interface Answer {
  readonly text: string
  readonly language: string | undefined
  readonly emotion: string | undefined
  readonly usageSeconds: number | undefined
  readonly truncated: boolean
}

const lastAnnotation = (annotations: ReadonlyArray<ReadonlyArray<Wire.Annotation> | null | undefined>) => {
  let language: string | undefined
  let emotion: string | undefined
  for (const list of annotations) {
    for (const annotation of list ?? []) {
      if (annotation.type !== undefined && annotation.type !== "audio_info") continue
      language = annotation.language ?? language
      emotion = annotation.emotion ?? emotion
    }
  }
  return { language, emotion }
}

const secondsOf = (usages: ReadonlyArray<Wire.Usage | null | undefined>): number | undefined => {
  let seconds: number | undefined
  for (const usage of usages) seconds = usage?.seconds ?? seconds
  return seconds
}

/**
 * @since 0.1.0
 * @category utils
 */
export const fromCompatible = (response: Wire.CompatibleResponse): Answer => {
  const choice = response.choices[0]
  return {
    text: choice?.message.content ?? "",
    ...lastAnnotation([choice?.message.annotations]),
    usageSeconds: secondsOf([response.usage]),
    truncated: choice?.finish_reason === "length"
  }
}

/**
 * @since 0.1.0
 * @category utils
 */
export const fromCompatibleChunks = (chunks: ReadonlyArray<Wire.CompatibleChunk>): Answer => {
  const choices = chunks.flatMap((chunk) => chunk.choices.slice(0, 1))
  return {
    text: choices.map((choice) => choice.delta.content ?? "").join(""),
    ...lastAnnotation(choices.map((choice) => choice.delta.annotations)),
    usageSeconds: secondsOf(chunks.map((chunk) => chunk.usage)),
    truncated: choices.some((choice) => choice.finish_reason === "length")
  }
}

const nativeText = (
  content: string | ReadonlyArray<{ readonly text?: string | null | undefined }> | null | undefined
) =>
  content === null || content === undefined
    ? ""
    : typeof content === "string"
    ? content
    : content.map((part) => part.text ?? "").join("")

/**
 * @since 0.1.0
 * @category utils
 */
export const fromNative = (response: Wire.NativeResponse): Answer => fromNativeEvents([response])

/**
 * Native stream events with `incremental_output: true`: each event holds only the new text.
 *
 * @since 0.1.0
 * @category utils
 */
export const fromNativeEvents = (events: ReadonlyArray<Wire.NativeResponse>): Answer => {
  const choices = events.flatMap((event) => event.output.choices.slice(0, 1))
  const text = choices.length > 0
    ? choices.map((choice) => nativeText(choice.message.content)).join("")
    : events.map((event) => event.output.text ?? "").join("")
  return {
    text,
    ...lastAnnotation(choices.map((choice) => choice.message.annotations)),
    usageSeconds: secondsOf(events.map((event) => event.usage)),
    truncated: choices.some((choice) => choice.finish_reason === "length")
  }
}

/**
 * The canonical transcript. `raw` is the untouched body (for streams, the array of parsed events).
 *
 * @since 0.1.0
 * @category utils
 */
export const toTranscript = (params: {
  readonly item: AudioItem
  readonly model: string
  readonly answer: Answer
  readonly requestId: string | undefined
  readonly warnings: ReadonlyArray<string>
  readonly raw: unknown
  readonly at: string
}): Transcript =>
  new Transcript({
    text: params.answer.text,
    model: params.model,
    provider: "qwen",
    status: "SUCCEEDED",
    ...(params.requestId !== undefined ? { requestId: params.requestId } : {}),
    ...(params.answer.language !== undefined ? { language: params.answer.language } : {}),
    ...(params.answer.emotion !== undefined ? { emotion: params.answer.emotion } : {}),
    ...(params.item.durationMs !== undefined ? { durationMs: params.item.durationMs } : {}),
    ...(params.answer.usageSeconds !== undefined ? { usageSeconds: params.answer.usageSeconds } : {}),
    sentences: [],
    channels: [],
    warnings: params.answer.truncated
      ? [...params.warnings, "the answer was truncated by the model (finish_reason: length)"]
      : params.warnings,
    raw: params.raw,
    evidence: [new Evidence({ phase: "transcribe", at: params.at, body: params.raw }, true)]
    // built from a decoded answer and a probed item: not validated again
  }, true)
