/**
 * What the two sync protocols share: key checks, `asr_options`, reading the body and model, the per-model limit,
 * recognition with the configured latency, and SSE framing.
 *
 * @since 0.1.0
 */
import type { AudioInfo } from "./AudioDuration.js"
import type { Ctx } from "./internal/http.js"
import { isObject, readJson, writeAnswer } from "./internal/http.js"
import type { Rejection } from "./internal/rejection.js"
import { invalid, isRejection } from "./internal/rejection.js"
import * as Models from "./Models.js"
import type { Rule } from "./Report.js"
import * as SyncAudio from "./SyncAudio.js"
import * as Throttling from "./Throttling.js"
import * as Transcripts from "./Transcripts.js"

const MAX_BODY = 64 * 1024 * 1024

/**
 * Records a violation for every key of `object` that is not allowed (Paraformer keys get their own rule).
 *
 * @since 0.1.0
 * @category utils
 */
export const checkKeys = (
  ctx: Ctx,
  where: string,
  object: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  paraformerAware = true
): void => {
  for (const key of Object.keys(object)) {
    if (allowed.has(key)) continue
    if (paraformerAware && Models.PARAFORMER_PARAMS.has(key)) {
      ctx.state.recorder.violation(
        "paraformer_param",
        ctx.endpoint,
        `${where}.${key} is a Paraformer/Fun-ASR parameter`
      )
    } else {
      ctx.state.recorder.violation("unknown_key", ctx.endpoint, `${where}.${key}`)
    }
  }
}

const ASR_OPTION_KEYS = new Set(["language", "enable_itn", "enable_lid"])

/**
 * The `asr_options` the transcript honours.
 *
 * @since 0.1.0
 * @category models
 */
export interface AsrOptions {
  readonly language: string | undefined
  readonly itn: boolean
}

/**
 * Validates `asr_options`; a missing or null block means the defaults.
 *
 * @since 0.1.0
 * @category utils
 */
export const checkAsrOptions = (ctx: Ctx, where: string, value: unknown): AsrOptions | Rejection => {
  // The Python SDK sends `asr_options=None` as null: the same as leaving the block out.
  if (value === undefined || value === null) return { language: undefined, itn: false }
  if (!isObject(value)) return invalid(`${where} must be an object.`)
  checkKeys(ctx, where, value, ASR_OPTION_KEYS)
  const language = value.language
  if (language !== undefined && (typeof language !== "string" || !Transcripts.LANGUAGES.has(language))) {
    ctx.state.recorder.violation("invalid_parameter", ctx.endpoint, `${where}.language = ${JSON.stringify(language)}`)
    return invalid(`The language ${JSON.stringify(language)} is not supported.`)
  }
  if (value.enable_itn !== undefined && typeof value.enable_itn !== "boolean") {
    ctx.state.recorder.violation("invalid_parameter", ctx.endpoint, `${where}.enable_itn must be a boolean`)
    return invalid(`${where}.enable_itn must be a boolean.`)
  }
  if (value.enable_lid !== undefined && typeof value.enable_lid !== "boolean") {
    return invalid(`${where}.enable_lid must be a boolean.`)
  }
  return { language, itn: value.enable_itn === true }
}

/**
 * A body that parsed, with its model.
 *
 * @since 0.1.0
 * @category models
 */
export interface Parsed {
  readonly model: string
  readonly body: Record<string, unknown>
}

/**
 * Reads the body and checks the model; answers the error itself and returns undefined on failure.
 *
 * @since 0.1.0
 * @category utils
 */
export const readModel = async (ctx: Ctx, reject: (r: Rejection) => void): Promise<Parsed | undefined> => {
  const body = await readJson(ctx.req, MAX_BODY)
  if (body._tag === "Aborted") return undefined
  if (body._tag === "TooLarge") {
    reject({ status: 413, code: "BadRequest.TooLarge", message: "Payload Too Large." })
    return undefined
  }
  if (body._tag === "Invalid" || !isObject(body.json)) {
    ctx.state.recorder.violation("invalid_json", ctx.endpoint, "the body is not a JSON object")
    reject(invalid("The request body is not a valid JSON object."))
    return undefined
  }
  const model = body.json.model
  if (typeof model !== "string" || model.length === 0) {
    reject({
      status: 400,
      code: "BadRequest.EmptyModel",
      message: "Required parameter \"model\" missing from request."
    })
    return undefined
  }
  return { model, body: body.json }
}

/**
 * Takes a token from the model's bucket; answers 429 and returns true when there is none.
 *
 * @since 0.1.0
 * @category utils
 */
export const throttle = (ctx: Ctx, model: string, reject: (r: Rejection) => void): boolean => {
  if (Throttling.takeModel(ctx, model)) return false
  reject({ status: 429, code: "Throttling.RateQuota", message: Throttling.MESSAGE })
  return true
}

const usageSeconds = (info: AudioInfo): number => Math.ceil(info.durationMs / 1000)

/**
 * Resolves and records the audio, makes its transcript and waits the configured latency.
 *
 * @since 0.1.0
 * @category utils
 */
export const recognize = async (ctx: Ctx, audio: string, model: string, options: AsrOptions) => {
  const resolved = await SyncAudio.resolve(ctx, audio, model)
  if (isRejection(resolved)) return resolved
  ctx.state.recorder.submission(resolved.keys[0]!)
  const configured = ctx.state.transcriptFor(resolved.keys)
  const segments = ctx.state.config.synthetic_transcripts === "audio" && configured === undefined
    ? await ctx.state.content.segmentsOf(resolved.hash, resolved.source, resolved.container)
    : undefined
  const transcript = Transcripts.make({
    hash: resolved.hash,
    durationMs: resolved.info.durationMs,
    configured,
    language: options.language,
    mimeMismatch: resolved.mimeMismatch,
    itn: options.itn,
    segments
  })
  const latency = ctx.state.config.latency_ms
  await ctx.state.clock.sleep(latency.sync + latency.sync_per_audio_second * (resolved.info.durationMs / 1000))
  return { resolved, transcript, seconds: usageSeconds(resolved.info) }
}

/**
 * The text of a system message: a string or a list of text items.
 *
 * @since 0.1.0
 * @category utils
 */
export const systemText = (content: unknown): string | undefined => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) {
    const texts: Array<string> = []
    for (const item of content) {
      if (!isObject(item) || typeof item.text !== "string") return undefined
      if (item.type !== undefined && item.type !== "text") return undefined
      texts.push(item.text)
    }
    return texts.join("\n")
  }
  return undefined
}

/**
 * How one protocol shapes its messages: where they sit, what its system and user messages look like.
 *
 * @since 0.1.0
 * @category models
 */
export interface MessageShape {
  readonly where: string
  /** The violation detail for a system message whose content is not text. */
  readonly systemShape: string
  /** Whether a system message after the first position is recorded (compatible mode documents it first). */
  readonly systemFirst: boolean
  readonly missingAudio: string
  /** The audio of the `users`-th user message (at `index`), or a rejection; records its own violations. */
  readonly userAudio: (ctx: Ctx, content: unknown, users: number, index: number) => string | Rejection
}

/**
 * Walks the messages: at most one system message (the context) and exactly one user message (the audio).
 *
 * @since 0.1.0
 * @category utils
 */
export const readMessages = (
  ctx: Ctx,
  messages: ReadonlyArray<unknown>,
  shape: MessageShape
): { readonly audio: string; readonly context: string } | Rejection => {
  const violate = (rule: Rule, detail: string) => ctx.state.recorder.violation(rule, ctx.endpoint, detail)
  let audio: string | undefined
  let context = ""
  let systems = 0
  let users = 0
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]
    if (!isObject(message)) {
      violate("invalid_message", `${shape.where}[${i}] is not an object`)
      return invalid(`${shape.where}[${i}] must be an object.`)
    }
    checkKeys(ctx, `${shape.where}[${i}]`, message, new Set(["role", "content"]), false)
    if (message.role === "system") {
      if (++systems > 1) {
        violate("multiple_system_messages", "more than one system message")
        return invalid("At most one system message is allowed.")
      }
      if (shape.systemFirst && i !== 0) violate("system_message_not_first", `system message at index ${i}`)
      const text = systemText(message.content)
      if (text === undefined) {
        violate("invalid_message", shape.systemShape)
        return invalid("The system message content is invalid.")
      }
      context = text
    } else if (message.role === "user") {
      const found = shape.userAudio(ctx, message.content, ++users, i)
      if (isRejection(found)) return found
      audio = found
    } else {
      violate("invalid_message", `${shape.where}[${i}].role = ${JSON.stringify(message.role)}`)
      return invalid(`Role ${JSON.stringify(message.role)} is not supported.`)
    }
  }
  if (audio === undefined) {
    violate("invalid_message", "no user message with audio")
    return invalid(shape.missingAudio)
  }
  return { audio, context }
}

/**
 * Answers 200 with SSE events, paced by `latency_ms.stream_chunk`.
 *
 * @since 0.1.0
 * @category utils
 */
export const sse = async (ctx: Ctx, events: string | ReadonlyArray<string>): Promise<void> => {
  if (ctx.res.headersSent || ctx.res.destroyed) return
  const head = {
    "content-type": "text/event-stream;charset=UTF-8",
    "cache-control": "no-cache",
    "x-request-id": ctx.requestId
  }
  const pause = ctx.state.config.latency_ms.stream_chunk
  if (typeof events === "string" || pause <= 0 || ctx.truncate !== undefined) {
    return writeAnswer(ctx, 200, head, typeof events === "string" ? events : events.join(""))
  }
  ctx.res.writeHead(200, head)
  for (let i = 0; i < events.length; i++) {
    if (ctx.res.destroyed) return
    if (i > 0) await ctx.state.clock.sleep(pause)
    ctx.res.write(events[i])
  }
  ctx.res.end()
}
