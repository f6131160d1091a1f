/**
 * Sync recognition in DashScope native mode: `POST /api/v1/services/aigc/multimodal-generation/generation`
 * (docs/PROTOCOL.md, Sync, native), JSON or DashScope SSE.
 *
 * @since 0.1.0
 */
import type { Ctx } from "./internal/http.js"
import { apiError, header, isObject, sendJson } from "./internal/http.js"
import type { Rejection } from "./internal/rejection.js"
import { invalid, isRejection } from "./internal/rejection.js"
import * as Models from "./Models.js"
import type { Rule } from "./Report.js"
import type { MessageShape } from "./SyncRequest.js"
import { checkAsrOptions, checkKeys, readMessages, readModel, recognize, sse, throttle } from "./SyncRequest.js"
import * as Throttling from "./Throttling.js"
import * as Transcripts from "./Transcripts.js"

const NATIVE_KEYS = new Set(["model", "input", "parameters"])
// The Python SDK puts every keyword argument in `parameters`, `stream` included (docs/PROTOCOL.md, The official Python SDK).
const NATIVE_PARAMETER_KEYS = new Set(["asr_options", "incremental_output", "result_format", "stream"])

const NATIVE_MESSAGES: MessageShape = {
  where: "input.messages",
  systemShape: "system content must be [{\"text\": …}]",
  systemFirst: false,
  missingAudio: "Required parameter(s) missing or invalid: the user message with audio.",
  userAudio: (ctx, content, users, index) => {
    const violate = (rule: Rule, detail: string) => ctx.state.recorder.violation(rule, ctx.endpoint, detail)
    if (users > 1 || (Array.isArray(content) && content.length > 1)) {
      violate(
        "multiple_content_items",
        users > 1 ? "more than one user message" : `${(content as Array<unknown>).length} content items`
      )
      return invalid("Only one set of content allowed.")
    }
    const item = Array.isArray(content) ? content[0] : undefined
    if (!isObject(item) || typeof item.audio !== "string") {
      violate("invalid_message", "the user content must be [{\"audio\": <url>}]")
      return invalid("The user message content must be [{\"audio\": <url>}].")
    }
    checkKeys(ctx, `input.messages[${index}].content[0]`, item, new Set(["audio"]), false)
    return item.audio
  }
}

/**
 * `POST /api/v1/services/aigc/multimodal-generation/generation`.
 *
 * @since 0.1.0
 * @category routes
 */
export const native = async (ctx: Ctx): Promise<void> => {
  const streaming = header(ctx.req, "x-dashscope-sse")?.toLowerCase() === "enable"
  const gateway = (r: Rejection) =>
    apiError(ctx, r.status, r.code, r.message, r.status === 429 ? Throttling.headers(ctx) : undefined)
  const reject = (r: Rejection) => {
    if (!streaming || r.status === 429) return gateway(r)
    void sse(
      ctx,
      `id:1\nevent:error\n:HTTP_STATUS/${r.status}\ndata:${
        JSON.stringify({ code: r.code, message: r.message, request_id: ctx.requestId })
      }\n\n`
    )
  }
  const parsed = await readModel(ctx, reject)
  if (parsed === undefined) return
  const { body, model } = parsed
  const family = Models.classify(model)
  const violate = (rule: Rule, detail: string) => ctx.state.recorder.violation(rule, "native", detail)
  if (family === undefined) {
    violate("unknown_model", model)
    return reject({ status: 404, code: "ModelNotFound", message: "Model not exist." })
  }
  if (family === "filetrans" || Models.isBatch(family)) {
    violate("filetrans_model_on_sync_path", model)
    return reject(invalid(`The model ${model} does not support synchronous calls; use the async transcription API.`))
  }
  if (header(ctx.req, "x-dashscope-async")?.toLowerCase() === "enable") {
    violate("async_header_on_sync", `X-DashScope-Async: enable sent to the sync model ${model}`)
    return gateway({
      status: 403,
      code: "AccessDenied",
      message: "Current user api does not support asynchronous calls."
    })
  }
  if (throttle(ctx, model, gateway)) return

  if (body.messages !== undefined) {
    violate("messages_outside_input", "messages must be inside input")
    return reject(invalid("Required parameter(s) missing or invalid: \"input.messages\"."))
  }
  checkKeys(ctx, "body", body, NATIVE_KEYS)
  const input = body.input
  if (!isObject(input) || !Array.isArray(input.messages) || input.messages.length === 0) {
    violate("invalid_message", "input.messages must be a non-empty array")
    return reject({
      status: 400,
      code: "BadRequest.EmptyInput",
      message: "Required input parameter missing from request."
    })
  }
  checkKeys(ctx, "input", input, new Set(["messages"]))
  const parameters = body.parameters === undefined ? {} : body.parameters
  if (!isObject(parameters)) return reject(invalid("parameters must be an object."))
  checkKeys(ctx, "parameters", parameters, NATIVE_PARAMETER_KEYS)
  if (parameters.stream !== undefined && typeof parameters.stream !== "boolean") {
    return reject(invalid("parameters.stream must be a boolean."))
  }
  if (family === "qwen_audio_asr" && parameters.asr_options != null) {
    violate("unknown_key", "parameters.asr_options is not supported by qwen-audio-asr")
  }
  const options = checkAsrOptions(ctx, "parameters.asr_options", parameters.asr_options)
  if (isRejection(options)) return reject(options)
  const incremental = parameters.incremental_output === true

  const read = readMessages(ctx, input.messages as Array<unknown>, NATIVE_MESSAGES)
  if (isRejection(read)) return reject(read)
  const { audio, context } = read

  const recognized = await recognize(ctx, audio, model, options)
  if (isRejection(recognized)) return reject(recognized)
  const { seconds, transcript } = recognized
  const textTokens = Transcripts.estimateTokens(context)
  const qwenAudio = family === "qwen_audio_asr"
  const usage = (outputTokens: number) =>
    qwenAudio
      ? { input_tokens: 25 * seconds + textTokens, output_tokens: outputTokens, audio_tokens: 25 * seconds }
      : {
        input_tokens_details: { text_tokens: textTokens },
        output_tokens_details: { text_tokens: outputTokens },
        seconds
      }
  const annotations = qwenAudio
    ? undefined
    : [{ type: "audio_info", language: transcript.language, emotion: transcript.emotion }]
  const message = (text: string) =>
    annotations === undefined
      ? { role: "assistant", content: [{ text }] }
      : { role: "assistant", content: [{ text }], annotations }
  if (!streaming) {
    return sendJson(ctx, 200, {
      request_id: ctx.requestId,
      output: { choices: [{ finish_reason: "stop", message: message(transcript.text) }] },
      usage: usage(transcript.outputTokens)
    })
  }
  const out: Array<string> = []
  let soFar = ""
  const pieces = transcript.pieces
  for (let i = 0; i < pieces.length; i++) {
    soFar += pieces[i]
    const last = i === pieces.length - 1
    const event = {
      output: {
        choices: [{
          message: annotations === undefined
            ? { content: [{ text: incremental ? pieces[i]! : soFar }], role: "assistant" }
            : { content: [{ text: incremental ? pieces[i]! : soFar }], role: "assistant", annotations },
          finish_reason: last ? "stop" : "null"
        }]
      },
      usage: usage(last ? transcript.outputTokens : Transcripts.estimateTokens(soFar)),
      request_id: ctx.requestId
    }
    out.push(`id:${i + 1}\nevent:result\n:HTTP_STATUS/200\ndata:${JSON.stringify(event)}\n\n`)
  }
  await sse(ctx, out)
}
