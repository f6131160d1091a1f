/**
 * An OpenAI-compatible transcription server (docs/PROTOCOL.md, OpenAI-compatible transcription):
 * `POST /v1/audio/transcriptions` (multipart: `file`, `model`, `language`, `prompt`, `temperature`,
 * `response_format`, `timestamp_granularities[]`) answering `json`, `text`, `srt`, `vtt` or `verbose_json` with
 * segments and words; the request size limit (413); per-model rate limits with `x-ratelimit-*` headers on every
 * answer and `Retry-After` on 429s; and `GET /v1/models`.
 *
 * @since 0.2.0
 */
import * as fsp from "node:fs/promises"
import type * as http from "node:http"
import type { Ctx } from "./internal/http.js"
import { header, openAiError, sendJson, sendText } from "./internal/http.js"
import * as OpenAiAnswer from "./OpenAiAnswer.js"
import * as OpenAiForm from "./OpenAiForm.js"
import type { Rule } from "./Report.js"
import * as Throttling from "./Throttling.js"
import * as Transcripts from "./Transcripts.js"

const FIELDS = new Set([
  "model",
  "language",
  "prompt",
  "response_format",
  "temperature",
  "timestamp_granularities[]",
  "stream",
  "chunking_strategy",
  "include[]"
])

const FORMATS = new Set(["json", "text", "srt", "vtt", "verbose_json"])

/** `1s`, `6m0s`, `120ms`: the duration format of `x-ratelimit-reset-*`. */
const resetText = (ms: number): string => {
  if (ms < 1000) return `${ms}ms`
  const seconds = Math.ceil(ms / 1000)
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`
}

const rateHeaders = (ctx: Ctx, model: string): http.OutgoingHttpHeaders => {
  const usage = ctx.state.limits.usage(model, ctx.state.clock.now())
  return {
    "x-ratelimit-limit-requests": String(Math.round(usage.limit)),
    "x-ratelimit-remaining-requests": String(usage.remaining),
    "x-ratelimit-reset-requests": resetText(usage.resetMs)
  }
}

/**
 * `POST /v1/audio/transcriptions`.
 *
 * @since 0.2.0
 * @category routes
 */
export const transcriptions = async (ctx: Ctx): Promise<void> => {
  const state = ctx.state
  const violate = (rule: Rule, detail: string) => state.recorder.violation(rule, "transcriptions", detail)
  const invalid = (message: string, param: string | null = null) =>
    openAiError(ctx, 400, null, message, undefined, param)
  const limit = state.config.openai.max_file_bytes
  const declared = Number(header(ctx.req, "content-length") ?? NaN)
  if (!/^multipart\/form-data/i.test(header(ctx.req, "content-type") ?? "")) {
    violate("not_multipart", `content-type ${header(ctx.req, "content-type") ?? "(none)"}`)
    ctx.req.resume()
    return invalid("The request must be multipart/form-data with a file part.")
  }
  if (Number.isFinite(declared) && declared > limit) {
    // the client should have checked the size before sending
    violate("file_too_large", `a ${declared}-byte request; the limit is ${limit}`)
    ctx.req.resume()
    return openAiError(ctx, 413, null, `Maximum content size limit (${limit}) exceeded (${declared} bytes read)`)
  }
  const read = await OpenAiForm.read(ctx, limit)
  if (read._tag === "NotMultipart" || read._tag === "Malformed") {
    violate("not_multipart", "the body is not well-formed multipart/form-data")
    return invalid("Could not parse multipart form.")
  }
  if (read._tag === "TooLarge") {
    violate("file_too_large", `a file part over ${limit} bytes`)
    return openAiError(ctx, 413, null, `Maximum content size limit (${limit}) exceeded (${read.bytes} bytes read)`)
  }
  const { fields, file } = read.form
  try {
    for (const name of fields.keys()) if (!FIELDS.has(name)) violate("unknown_key", `form field ${name}`)
    const one = (name: string) => fields.get(name)?.at(-1)
    const model = one("model")
    if (file === undefined) return invalid("Missing required parameter: 'file'.", "file")
    if (model === undefined || model === "") return invalid("Missing required parameter: 'model'.", "model")
    if (!state.config.openai.models.includes(model)) {
      violate("unknown_model", model)
      return openAiError(
        ctx,
        404,
        "model_not_found",
        `The model \`${model}\` does not exist or you do not have access to it.`
      )
    }
    const now = state.clock.now()
    const allowed = state.limits.takeModel(model, now)
    state.recorder.start(`transcriptions ${model}`, now, allowed)
    if (!allowed) {
      const usage = state.limits.usage(model, now)
      return openAiError(
        ctx,
        429,
        "rate_limit_exceeded",
        `Rate limit reached for ${model} on requests per min (RPM): Limit ${usage.limit}. Please try again later.`,
        { ...rateHeaders(ctx, model), ...Throttling.headers(ctx) }
      )
    }
    const format = one("response_format") ?? "json"
    if (!FORMATS.has(format)) {
      violate("invalid_parameter", `response_format ${format}`)
      return invalid(`'${format}' is not one of ${[...FORMATS].join(", ")} - 'response_format'`, "response_format")
    }
    const granularities = fields.get("timestamp_granularities[]") ?? []
    if (granularities.some((value) => value !== "word" && value !== "segment")) {
      violate("invalid_parameter", `timestamp_granularities[] ${granularities.join(",")}`)
      return invalid("timestamp_granularities[] takes word and segment.", "timestamp_granularities")
    }
    if (granularities.length > 0 && format !== "verbose_json") {
      violate("invalid_parameter", "timestamp_granularities[] without response_format verbose_json")
      return invalid("timestamp_granularities requires response_format=verbose_json.", "timestamp_granularities")
    }
    const temperature = one("temperature")
    if (temperature !== undefined && !(Number(temperature) >= 0 && Number(temperature) <= 1)) {
      violate("invalid_parameter", `temperature ${temperature}`)
      return invalid("temperature must be between 0 and 1.", "temperature")
    }
    const language = one("language")
    if (language !== undefined && !Transcripts.LANGUAGES.has(language)) {
      violate("invalid_parameter", `language ${language}`)
      return invalid(`Language '${language}' is not supported (use ISO-639-1, e.g. en).`, "language")
    }
    const analysis = await state.analyzer.analyzeFile(file.path, file.sha256).catch(() => undefined)
    if (analysis === undefined || analysis._tag !== "Ok") {
      return invalid(
        "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
        "file"
      )
    }
    const segments = state.config.synthetic_transcripts === "audio"
      ? await state.content.segmentsOf(file.sha256, { file: file.path }, analysis.container)
      : undefined
    const transcript = Transcripts.make({
      hash: file.sha256,
      durationMs: analysis.info.durationMs,
      configured: state.transcriptFor([file.sha256, file.name]),
      language,
      segments
    })
    state.recorder.submission(file.sha256)
    await state.clock.sleep(state.config.latency_ms.sync)
    const answer = OpenAiAnswer.render(format, transcript, {
      durationMs: analysis.info.durationMs,
      words: granularities.includes("word"),
      segments: granularities.length === 0 || granularities.includes("segment")
    })
    const headers = rateHeaders(ctx, model)
    return answer._tag === "Json"
      ? sendJson(ctx, 200, answer.json, headers)
      : sendText(ctx, 200, answer.contentType, answer.text, headers)
  } finally {
    if (file !== undefined) await fsp.rm(file.path, { force: true })
  }
}

/**
 * `GET /v1/models`: the served models, as OpenAI lists them.
 *
 * @since 0.2.0
 * @category routes
 */
export const models = (ctx: Ctx): void =>
  sendJson(ctx, 200, {
    object: "list",
    data: ctx.state.config.openai.models.map((id) => ({
      id,
      object: "model",
      created: 1_700_000_000,
      owned_by: "asrflow-emulator"
    }))
  })
