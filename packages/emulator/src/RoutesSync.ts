/**
 * Sync recognition: OpenAI-compatible chat completions (docs/PROTOCOL.md §4) and DashScope native
 * multimodal-generation (§5), each with and without SSE.
 *
 * @since 0.1.0
 */
import type { AudioInfo } from "./Audio.js"
import { contradicts, decodeDataUri, fetchToMemory, isReachable } from "./Audio.js"
import type { Ctx } from "./internal/http.js"
import { apiError, header, isObject, readJson, sendJson, sleep } from "./internal/http.js"
import * as Models from "./Models.js"
import type { Rule } from "./Report.js"
import * as Transcripts from "./Transcripts.js"

// =============================================================================
// Shared
// =============================================================================

/**
 * A rejection: the status, native code and message to answer with.
 *
 * @since 0.1.0
 * @category models
 */
export interface Rejection {
  readonly status: number
  readonly code: string
  readonly message: string
}

const INVALID_URL = "The provided URL does not appear to be valid. Ensure it is correctly formatted."
const MAX_BODY = 64 * 1024 * 1024

const invalid = (message: string): Rejection => ({ status: 400, code: "InvalidParameter", message })

/**
 * @since 0.1.0
 * @category models
 */
export interface ResolvedAudio {
  readonly hash: string
  readonly keys: ReadonlyArray<string>
  readonly info: AudioInfo
  readonly mimeMismatch: boolean
}

/**
 * Turns an audio reference (data URI, 127.0.0.1 URL or `oss://`) into analysed audio, or a rejection.
 *
 * @since 0.1.0
 * @category utils
 */
export const resolveAudio = async (ctx: Ctx, audio: string, model: string): Promise<ResolvedAudio | Rejection> => {
  const state = ctx.state
  const violate = (rule: Rule, detail: string) => state.recorder.violation(rule, ctx.endpoint, detail)
  const maxBytes = state.config.max_data_uri_bytes
  let analysis
  let declared: string | undefined
  let keys: Array<string> = []
  if (audio.startsWith("data:")) {
    const decoded = decodeDataUri(audio, maxBytes)
    if (decoded._tag === "TooLarge") {
      violate("data_uri_too_large", `data URI of ${decoded.encodedLength} encoded bytes exceeds ${maxBytes}`)
      return invalid(`The size of the audio data exceeds the limit of ${Math.round(maxBytes / 1048576)}MB.`)
    }
    if (decoded._tag === "Invalid") {
      violate("invalid_audio_url", decoded.reason)
      return invalid(`Invalid data URI: ${decoded.reason}.`)
    }
    if (decoded.bytes.length === 0) return invalid("The audio is empty.")
    declared = decoded.mime
    analysis = await state.analyzer.analyzeBytes(decoded.bytes, decoded.mime)
  } else if (audio.startsWith("oss://")) {
    if (header(ctx.req, "x-dashscope-ossresourceresolve")?.toLowerCase() !== "enable") {
      violate("missing_oss_resolve_header", `${audio} sent without X-DashScope-OssResourceResolve: enable`)
      return invalid(INVALID_URL)
    }
    const resolved = state.uploads.resolve(audio, model)
    if (resolved._tag === "NotFound") {
      violate("oss_not_found", audio)
      return invalid(`${INVALID_URL} The oss resource does not exist.`)
    }
    if (resolved._tag === "Expired") {
      violate("oss_expired", audio)
      return invalid(`${INVALID_URL} The oss resource has expired.`)
    }
    if (resolved._tag === "WrongModel") {
      violate("oss_model_mismatch", `${audio} was uploaded for ${resolved.boundTo}, used with ${model}`)
      return { status: 403, code: "AccessDenied", message: "Access denied: the oss resource belongs to another model." }
    }
    if (resolved.object.bytes > maxBytes) return invalid("The audio file is too large. The maximum size is 10MB.")
    keys = [audio]
    analysis = await state.analyzer.analyzeFile(resolved.object.file, resolved.object.sha256)
  } else if (/^https?:\/\//i.test(audio)) {
    let url: URL
    try {
      url = new URL(audio)
    } catch {
      violate("invalid_audio_url", audio)
      return invalid(INVALID_URL)
    }
    if (!isReachable(url)) {
      return { status: 415, code: "BadRequest.InputDownloadFailed", message: "Failed to download the input file." }
    }
    const fetched = await fetchToMemory(url, maxBytes)
    if (fetched._tag === "Failed") {
      return { status: 415, code: "BadRequest.InputDownloadFailed", message: "Failed to download the input file." }
    }
    if (fetched._tag === "TooLarge") return invalid("The audio file is too large. The maximum size is 10MB.")
    keys = [audio]
    analysis = await state.analyzer.analyzeBytes(fetched.bytes)
  } else {
    violate("invalid_audio_url", `unsupported audio reference "${audio.slice(0, 80)}"`)
    return invalid(INVALID_URL)
  }
  if (analysis._tag !== "Ok") {
    violate("unsupported_format", `audio ${analysis.sha256.slice(0, 12)} is not a supported container`)
    return { status: 415, code: "BadRequest.UnsupportedFileFormat", message: "Input file format is not supported." }
  }
  const seconds = analysis.info.durationMs / 1000
  if (seconds > state.config.max_sync_duration_s) {
    violate("audio_too_long", `${seconds.toFixed(1)} s exceeds ${state.config.max_sync_duration_s} s`)
    return invalid(`The audio is too long. The maximum duration is ${state.config.max_sync_duration_s} seconds.`)
  }
  const mimeMismatch = declared !== undefined && analysis.container !== "pcm" &&
    contradicts(declared, analysis.container)
  if (mimeMismatch) violate("mime_mismatch", `declared ${declared}, bytes are ${analysis.container}`)
  return { hash: analysis.sha256, keys: [...keys, analysis.sha256], info: analysis.info, mimeMismatch }
}

const isRejection = <A extends object>(u: A | Rejection): u is Rejection => "status" in u

const checkKeys = (
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

interface AsrOptions {
  readonly language: string | undefined
  readonly itn: boolean
}

const checkAsrOptions = (ctx: Ctx, where: string, value: unknown): AsrOptions | Rejection => {
  if (value === undefined) return { language: undefined, itn: false }
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

interface Parsed {
  readonly model: string
  readonly body: Record<string, unknown>
}

/** Reads the body and checks the model; answers the error itself and returns undefined on failure. */
const readModel = async (ctx: Ctx, reject: (r: Rejection) => void): Promise<Parsed | undefined> => {
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

const throttle = (ctx: Ctx, model: string, reject: (r: Rejection) => void): boolean => {
  if (ctx.state.limits.takeModel(model, ctx.state.clock.now())) return false
  reject({
    status: 429,
    code: "Throttling.RateQuota",
    message: "Requests rate limit exceeded, please try again later."
  })
  return true
}

const retryAfter = (ctx: Ctx): Record<string, string> | undefined => {
  const seconds = ctx.state.config.rate_limits.retry_after_s
  return seconds == null ? undefined : { "retry-after": String(seconds) }
}

const usageSeconds = (info: AudioInfo): number => Math.ceil(info.durationMs / 1000)

/** Both sync protocols: resolve and record the audio, make its transcript, wait the configured latency. */
const recognize = async (ctx: Ctx, audio: string, model: string, options: AsrOptions) => {
  const resolved = await resolveAudio(ctx, audio, model)
  if (isRejection(resolved)) return resolved
  ctx.state.recorder.submission(resolved.keys[0]!)
  const transcript = Transcripts.make({
    hash: resolved.hash,
    durationMs: resolved.info.durationMs,
    configured: ctx.state.transcriptFor(resolved.keys),
    language: options.language,
    mimeMismatch: resolved.mimeMismatch,
    itn: options.itn
  })
  const latency = ctx.state.config.latency_ms
  await sleep(latency.sync + latency.sync_per_audio_second * (resolved.info.durationMs / 1000))
  return { resolved, transcript, seconds: usageSeconds(resolved.info) }
}

const systemText = (content: unknown): string | undefined => {
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

// =============================================================================
// OpenAI-compatible
// =============================================================================

const COMPAT_KEYS = new Set(["model", "messages", "stream", "stream_options", "asr_options"])

/**
 * `POST /compatible-mode/v1/chat/completions`.
 *
 * @since 0.1.0
 * @category routes
 */
export const compatible = async (ctx: Ctx): Promise<void> => {
  const reject = (r: Rejection) =>
    apiError(ctx, r.status, r.code, r.message, r.status === 429 ? retryAfter(ctx) : undefined)
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
  if (family === "filetrans") {
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
  if ("status" in options) return reject(options)

  const messages = body.messages
  if (!Array.isArray(messages) || messages.length === 0) {
    violate("invalid_message", "messages must be a non-empty array")
    return reject(invalid("Required parameter(s) missing or invalid: messages."))
  }
  let audio: string | undefined
  let context = ""
  let systems = 0
  let users = 0
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]
    if (!isObject(message)) {
      violate("invalid_message", `messages[${i}] is not an object`)
      return reject(invalid(`messages[${i}] must be an object.`))
    }
    checkKeys(ctx, `messages[${i}]`, message, new Set(["role", "content"]), false)
    if (message.role === "system") {
      systems++
      if (systems > 1) {
        violate("multiple_system_messages", "more than one system message")
        return reject(invalid("At most one system message is allowed."))
      }
      if (i !== 0) violate("system_message_not_first", `system message at index ${i}`)
      const text = systemText(message.content)
      if (text === undefined) {
        violate("invalid_message", "system content must be a string or a list of text items")
        return reject(invalid("The system message content is invalid."))
      }
      context = text
    } else if (message.role === "user") {
      users++
      if (users > 1) {
        violate("multiple_content_items", "more than one user message")
        return reject(invalid("Only one set of content allowed."))
      }
      const content = message.content
      if (!Array.isArray(content) || content.length === 0) {
        violate("invalid_message", "user content must be an array with one input_audio item")
        return reject(invalid("The user message content must be an array with one input_audio item."))
      }
      if (content.length > 1) {
        violate("multiple_content_items", `${content.length} content items`)
        return reject(invalid("Only one set of content allowed."))
      }
      const item = content[0]
      if (!isObject(item) || item.type !== "input_audio" || !isObject(item.input_audio)) {
        violate("invalid_message", "the content item must be {type:\"input_audio\",input_audio:{data}}")
        return reject(invalid("The content item must be of type input_audio."))
      }
      checkKeys(ctx, "content[0]", item, new Set(["type", "input_audio"]), false)
      checkKeys(ctx, "content[0].input_audio", item.input_audio, new Set(["data", "format"]), false)
      if (typeof item.input_audio.data !== "string") {
        violate("invalid_message", "input_audio.data must be a string")
        return reject(invalid("input_audio.data must be a string."))
      }
      audio = item.input_audio.data
    } else {
      violate("invalid_message", `messages[${i}].role = ${JSON.stringify(message.role)}`)
      return reject(invalid(`Role ${JSON.stringify(message.role)} is not supported.`))
    }
  }
  if (audio === undefined) {
    violate("invalid_message", "no user message with audio")
    return reject(invalid("Required parameter(s) missing or invalid: the user message with input_audio."))
  }

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

const sse = async (ctx: Ctx, events: string | ReadonlyArray<string>): Promise<void> => {
  if (ctx.res.headersSent || ctx.res.destroyed) return
  ctx.res.writeHead(200, {
    "content-type": "text/event-stream;charset=UTF-8",
    "cache-control": "no-cache",
    "x-request-id": ctx.requestId
  })
  const pause = ctx.state.config.latency_ms.stream_chunk
  if (typeof events === "string" || pause <= 0) {
    return void ctx.res.end(typeof events === "string" ? events : events.join(""))
  }
  for (let i = 0; i < events.length; i++) {
    if (ctx.res.destroyed) return
    if (i > 0) await sleep(pause)
    ctx.res.write(events[i])
  }
  ctx.res.end()
}

// =============================================================================
// DashScope native
// =============================================================================

const NATIVE_KEYS = new Set(["model", "input", "parameters"])
const NATIVE_PARAMETER_KEYS = new Set(["asr_options", "incremental_output", "result_format"])

/**
 * `POST /api/v1/services/aigc/multimodal-generation/generation`.
 *
 * @since 0.1.0
 * @category routes
 */
export const native = async (ctx: Ctx): Promise<void> => {
  const streaming = header(ctx.req, "x-dashscope-sse")?.toLowerCase() === "enable"
  const gateway = (r: Rejection) =>
    apiError(ctx, r.status, r.code, r.message, r.status === 429 ? retryAfter(ctx) : undefined)
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
  if (family === "filetrans") {
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
  if (family === "qwen_audio_asr" && parameters.asr_options !== undefined) {
    violate("unknown_key", "parameters.asr_options is not supported by qwen-audio-asr")
  }
  const options = checkAsrOptions(ctx, "parameters.asr_options", parameters.asr_options)
  if ("status" in options) return reject(options)
  const incremental = parameters.incremental_output === true

  let audio: string | undefined
  let context = ""
  let systems = 0
  let users = 0
  const messages = input.messages as Array<unknown>
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]
    if (!isObject(message)) {
      violate("invalid_message", `input.messages[${i}] is not an object`)
      return reject(invalid(`input.messages[${i}] must be an object.`))
    }
    checkKeys(ctx, `input.messages[${i}]`, message, new Set(["role", "content"]), false)
    if (message.role === "system") {
      systems++
      if (systems > 1) {
        violate("multiple_system_messages", "more than one system message")
        return reject(invalid("At most one system message is allowed."))
      }
      const text = systemText(message.content)
      if (text === undefined) {
        violate("invalid_message", "system content must be [{\"text\": …}]")
        return reject(invalid("The system message content is invalid."))
      }
      context = text
    } else if (message.role === "user") {
      users++
      const content = message.content
      if (users > 1 || (Array.isArray(content) && content.length > 1)) {
        violate(
          "multiple_content_items",
          users > 1 ? "more than one user message" : `${(content as Array<unknown>).length} content items`
        )
        return reject(invalid("Only one set of content allowed."))
      }
      const item = Array.isArray(content) ? content[0] : undefined
      if (!isObject(item) || typeof item.audio !== "string") {
        violate("invalid_message", "the user content must be [{\"audio\": <url>}]")
        return reject(invalid("The user message content must be [{\"audio\": <url>}]."))
      }
      checkKeys(ctx, `input.messages[${i}].content[0]`, item, new Set(["audio"]), false)
      audio = item.audio
    } else {
      violate("invalid_message", `input.messages[${i}].role = ${JSON.stringify(message.role)}`)
      return reject(invalid(`Role ${JSON.stringify(message.role)} is not supported.`))
    }
  }
  if (audio === undefined) {
    violate("invalid_message", "no user message with audio")
    return reject(invalid("Required parameter(s) missing or invalid: the user message with audio."))
  }

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
