/**
 * Sync recognition in OpenAI-compatible mode: `POST /compatible-mode/v1/chat/completions` (docs/PROTOCOL.md, Sync, OpenAI-compatible), JSON or
 * SSE.
 *
 * @since 0.1.0
 */
import type { Ctx } from "./internal/http.js"
import { apiError, isObject, sendJson } from "./internal/http.js"
import type { Rejection } from "./internal/rejection.js"
import { invalid, isRejection } from "./internal/rejection.js"
import * as Models from "./Models.js"
import type { Rule } from "./Report.js"
import type { MessageShape } from "./SyncRequest.js"
import { checkAsrOptions, checkKeys, readMessages, readModel, recognize, sse, throttle } from "./SyncRequest.js"
import * as Throttling from "./Throttling.js"
import * as Transcripts from "./Transcripts.js"

const COMPAT_KEYS = new Set(["model", "messages", "stream", "stream_options", "asr_options"])

const COMPAT_MESSAGES: MessageShape = {
  where: "messages",
  systemShape: "system content must be a string or a list of text items",
  systemFirst: true,
  missingAudio: "Required parameter(s) missing or invalid: the user message with input_audio.",
  userAudio: (ctx, content, users) => {
    const violate = (rule: Rule, detail: string) => ctx.state.recorder.violation(rule, ctx.endpoint, detail)
    if (users > 1) {
      violate("multiple_content_items", "more than one user message")
      return invalid("Only one set of content allowed.")
    }
    if (!Array.isArray(content) || content.length === 0) {
      violate("invalid_message", "user content must be an array with one input_audio item")
      return invalid("The user message content must be an array with one input_audio item.")
    }
    if (content.length > 1) {
      violate("multiple_content_items", `${content.length} content items`)
      return invalid("Only one set of content allowed.")
    }
    const item = content[0]
    if (!isObject(item) || item.type !== "input_audio" || !isObject(item.input_audio)) {
      violate("invalid_message", "the content item must be {type:\"input_audio\",input_audio:{data}}")
      return invalid("The content item must be of type input_audio.")
    }
    checkKeys(ctx, "content[0]", item, new Set(["type", "input_audio"]), false)
    checkKeys(ctx, "content[0].input_audio", item.input_audio, new Set(["data", "format"]), false)
    if (typeof item.input_audio.data !== "string") {
      violate("invalid_message", "input_audio.data must be a string")
      return invalid("input_audio.data must be a string.")
    }
    return item.input_audio.data
  }
}

/**
 * `POST /compatible-mode/v1/chat/completions`.
 *
 * @since 0.1.0
 * @category routes
 */
export const compatible = async (ctx: Ctx): Promise<void> => {
  const reject = (r: Rejection) =>
    apiError(ctx, r.status, r.code, r.message, r.status === 429 ? Throttling.headers(ctx) : undefined)
  const parsed = await readModel(ctx, reject)
  if (parsed === undefined) return
  const { body, model } = parsed
  const family = Models.classify(model)
  const violate = (rule: Rule, detail: string) => ctx.state.recorder.violation(rule, "compatible", detail)
  if (family === undefined) {
    violate("unknown_model", model)
    return reject({
      status: 404,
      code: "ModelNotFound",
      message: `The model \`${model}\` does not exist or you do not have access to it.`
    })
  }
  if (family === "filetrans" || Models.isBatch(family)) {
    violate("filetrans_model_on_sync_path", model)
    return reject(invalid(`The model ${model} does not support synchronous calls; use the async transcription API.`))
  }
  if (family !== "flash") {
    violate("model_not_on_compatible_mode", model)
    return reject(invalid(`The model ${model} is not supported in OpenAI compatible mode.`))
  }
  if (throttle(ctx, model, reject)) return

  checkKeys(ctx, "body", body, COMPAT_KEYS)
  if (body.stream !== undefined && typeof body.stream !== "boolean") return reject(invalid("stream must be a boolean."))
  const stream = body.stream === true
  let includeUsage = false
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!stream) {
      violate("stream_options_without_stream", "stream_options sent while stream is not true")
      return reject(invalid("The parameter stream_options is only allowed when stream is true."))
    }
    if (!isObject(body.stream_options)) return reject(invalid("stream_options must be an object."))
    checkKeys(ctx, "stream_options", body.stream_options, new Set(["include_usage"]), false)
    includeUsage = body.stream_options.include_usage === true
  }
  const options = checkAsrOptions(ctx, "asr_options", body.asr_options)
  if (isRejection(options)) return reject(options)

  const messages = body.messages
  if (!Array.isArray(messages) || messages.length === 0) {
    violate("invalid_message", "messages must be a non-empty array")
    return reject(invalid("Required parameter(s) missing or invalid: messages."))
  }
  const read = readMessages(ctx, messages, COMPAT_MESSAGES)
  if (isRejection(read)) return reject(read)
  const { audio, context } = read

  const recognized = await recognize(ctx, audio, model, options)
  if (isRejection(recognized)) return reject(recognized)
  const { seconds, transcript } = recognized
  const audioTokens = 25 * seconds
  const textTokens = Transcripts.estimateTokens(context)
  const usage = {
    prompt_tokens: audioTokens + textTokens,
    prompt_tokens_details: { audio_tokens: audioTokens, text_tokens: textTokens },
    completion_tokens: transcript.outputTokens,
    completion_tokens_details: { text_tokens: transcript.outputTokens },
    total_tokens: audioTokens + textTokens + transcript.outputTokens,
    seconds
  }
  const id = `chatcmpl-${ctx.requestId}`
  const created = Math.floor(ctx.state.clock.now() / 1000)
  const annotations = [{ type: "audio_info", language: transcript.language, emotion: transcript.emotion }]
  if (!stream) {
    return sendJson(ctx, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{
        index: 0,
        finish_reason: "stop",
        message: { role: "assistant", content: transcript.text, annotations }
      }],
      usage
    })
  }
  const head = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${
    JSON.stringify(model)
  },`
  const annotationsJson = JSON.stringify(annotations)
  const out = [
    `data: ${head}"usage":null,"choices":[{"index":0,"logprobs":null,"delta":{"content":"","role":"assistant"}}]}\n\n`
  ]
  for (const piece of transcript.pieces) {
    out.push(
      `data: ${head}"usage":null,"choices":[{"index":0,"delta":{"content":${
        JSON.stringify(piece)
      },"role":null,"annotations":${annotationsJson}}}]}\n\n`
    )
  }
  out.push(`data: ${head}"usage":null,"choices":[{"index":0,"delta":{"role":null},"finish_reason":"stop"}]}\n\n`)
  if (includeUsage) out.push(`data: ${head}"usage":${JSON.stringify(usage)},"choices":[]}\n\n`)
  out.push("data: [DONE]\n\n")
  await sse(ctx, out)
}
