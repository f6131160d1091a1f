/**
 * The Fun-ASR/Paraformer side of the task API (docs/PROTOCOL.md, Fun-ASR and Paraformer on the task API): a batch
 * submit (`input.file_urls`, up to `max_batch_files`), its parameters checked against the model, `vocabulary_id`
 * checked against the known vocabularies, and the per-file result documents. Queries, cancel and list are the
 * shared task routes.
 *
 * @since 0.2.0
 */
import type { FileSource } from "./BatchTasks.js"
import type { Ctx } from "./internal/http.js"
import { answerResult, header, isObject, nativeError, sendJson } from "./internal/http.js"
import { INVALID_URL, isRejection } from "./internal/rejection.js"
import * as OssReferences from "./OssReferences.js"
import type { Rule } from "./Report.js"

const BODY_KEYS = new Set(["model", "input", "parameters", "resources"])

/** The documented parameters of the family; every other key is a violation (docs/PROTOCOL.md §13.1). */
const PARAMETERS = new Set([
  "channel_id",
  "language_hints",
  "vocabulary_id",
  "vocabulary",
  "diarization_enabled",
  "speaker_count",
  "disfluency_removal_enabled",
  "timestamp_alignment_enabled",
  "special_word_filter",
  "speech_noise_threshold",
  "audio_event_detection_enabled"
])

/** qwen3 filetrans parameters, which these models do not take. */
const QWEN_PARAMETERS = new Set(["language", "enable_itn", "enable_words", "corpus"])

/** Language hints the family documents (Fun-ASR MTL takes the widest set). */
const HINTS = new Set([
  "zh",
  "en",
  "ja",
  "yue",
  "ko",
  "de",
  "fr",
  "ru",
  "vi",
  "id",
  "th",
  "ms",
  "fil",
  "ar",
  "hi",
  "pt",
  "es",
  "it",
  "nl",
  "pl",
  "sv",
  "da",
  "fi",
  "cs",
  "el",
  "hu",
  "ro",
  "bg",
  "hr",
  "sk",
  "sl",
  "et",
  "lv",
  "lt",
  "mt",
  "ga"
])

/** Which parameters a model cannot honour (sent anyway, they are ignored and recorded). */
const notFor = (model: string, key: string): boolean => {
  if (key === "vocabulary") return true // inline hotwords belong to qwen-audio-3.x, not to these models
  if (key === "language_hints") return model.startsWith("paraformer-8k") || model.endsWith("-v1")
  return false
}

const isBoolean = (u: unknown): boolean => u === undefined || typeof u === "boolean"

/**
 * `POST /api/v1/services/audio/asr/transcription` for a batch model, after the shared checks (model, async
 * header, rate limit).
 *
 * @since 0.2.0
 * @category routes
 */
export const submit = async (ctx: Ctx, json: Record<string, unknown>, model: string): Promise<void> => {
  const state = ctx.state
  const violate = (rule: Rule, detail: string) => state.recorder.violation(rule, "submit", detail)
  const invalid = (message: string) => nativeError(ctx, 400, "InvalidParameter", message)
  for (const key of Object.keys(json)) if (!BODY_KEYS.has(key)) violate("unknown_key", `body.${key}`)
  const input = json.input
  if (!isObject(input)) {
    return nativeError(ctx, 400, "BadRequest.EmptyInput", "Required input parameter missing from request.")
  }
  for (const key of Object.keys(input)) {
    if (key === "file_urls") continue
    if (key === "file_url") violate("file_url_on_batch", `${model} takes input.file_urls (an array), not file_url`)
    else violate("unknown_key", `input.${key}`)
  }
  const urls = input.file_urls
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((url) => typeof url === "string" && url !== "")) {
    return invalid("Required parameter(s) missing or invalid: input.file_urls.")
  }
  if (urls.length > state.config.max_batch_files) {
    violate("too_many_files", `${urls.length} file_urls in one request; at most ${state.config.max_batch_files}`)
    return invalid(`input.file_urls takes at most ${state.config.max_batch_files} URLs per request.`)
  }

  const parameters = json.parameters === undefined ? {} : json.parameters
  if (!isObject(parameters)) return invalid("parameters must be an object.")
  for (const key of Object.keys(parameters)) {
    if (QWEN_PARAMETERS.has(key)) violate("qwen_param", `parameters.${key} is a qwen3 filetrans parameter`)
    else if (!PARAMETERS.has(key)) violate("unknown_key", `parameters.${key}`)
    else if (notFor(model, key)) violate("param_not_for_model", `parameters.${key} is not a ${model} parameter`)
  }
  const bad = (detail: string) => {
    violate("invalid_parameter", detail)
    return invalid(`${detail}.`)
  }
  const hints = parameters.language_hints
  if (hints !== undefined && (!Array.isArray(hints) || !hints.every((hint) => HINTS.has(hint as string)))) {
    return bad(`parameters.language_hints ${JSON.stringify(hints)} holds an unsupported language`)
  }
  for (const flag of ["diarization_enabled", "disfluency_removal_enabled", "timestamp_alignment_enabled"]) {
    if (!isBoolean(parameters[flag])) return bad(`parameters.${flag} must be a boolean`)
  }
  const speakers = parameters.speaker_count
  if (
    speakers !== undefined && !(Number.isInteger(speakers) && (speakers as number) >= 2 && (speakers as number) <= 100)
  ) {
    return bad("parameters.speaker_count must be an integer from 2 to 100")
  }
  const filter = parameters.special_word_filter
  if (filter !== undefined && (typeof filter !== "string" || !isJsonObject(filter))) {
    return bad("parameters.special_word_filter must be a JSON object in a string")
  }
  const vocabulary = parameters.vocabulary_id
  if (vocabulary !== undefined) {
    const problem = vocabularyProblem(ctx, vocabulary, model)
    if (problem !== undefined) {
      violate("unknown_vocabulary", problem)
      return invalid(problem)
    }
  }
  const channels = parameters.channel_id === undefined ? [0] : parameters.channel_id
  if (!Array.isArray(channels) || channels.length === 0 || !channels.every((c) => Number.isInteger(c) && c >= 0)) {
    return bad("parameters.channel_id must be a non-empty array of non-negative integers")
  }

  const ossUrls = (urls as Array<string>).filter((url) => url.startsWith("oss://"))
  if (ossUrls.length > 0 && header(ctx.req, "x-dashscope-ossresourceresolve")?.toLowerCase() !== "enable") {
    // without the resolve header no oss:// URL can be read: resolving one records the violation and the answer
    const rejected = OssReferences.resolve(ctx, ossUrls[0]!, model)
    if (isRejection(rejected)) return nativeError(ctx, rejected.status, rejected.code, rejected.message)
  }
  const files: Array<{ fileUrl: string; source: FileSource; audioKey: string }> = []
  for (const url of urls as Array<string>) {
    if (url.startsWith("oss://")) {
      const object = OssReferences.resolve(ctx, url, model)
      files.push(
        isRejection(object)
          ? { fileUrl: url, source: { _tag: "Failed", code: object.code, message: object.message }, audioKey: url }
          : {
            fileUrl: url,
            source: { _tag: "Load", source: { _tag: "Oss", file: object.file, sha256: object.sha256 } },
            audioKey: object.sha256
          }
      )
      continue
    }
    let parsed: URL | undefined
    try {
      parsed = /^https?:\/\//i.test(url) ? new URL(url) : undefined
    } catch {
      parsed = undefined
    }
    if (parsed === undefined) {
      violate("invalid_audio_url", `file_urls must be http(s) or oss://, got "${url.slice(0, 60)}"`)
      return invalid(INVALID_URL)
    }
    files.push({ fileUrl: url, source: { _tag: "Load", source: { _tag: "Url", url: parsed } }, audioKey: url })
  }

  const task = state.batches.submit({
    model,
    files,
    requestId: ctx.requestId,
    parameters: {
      languageHints: hints as Array<string> | undefined,
      diarization: parameters.diarization_enabled === true,
      speakerCount: speakers as number | undefined,
      channelIds: channels as Array<number>
    }
  })
  for (const file of files) state.recorder.submission(file.audioKey)
  state.recorder.batch(task.id, model, files.length)
  await state.clock.sleep(state.config.latency_ms.submit)
  sendJson(ctx, 200, { request_id: ctx.requestId, output: { task_id: task.id, task_status: "PENDING" } })
}

const isJsonObject = (text: string): boolean => {
  try {
    return isObject(JSON.parse(text))
  } catch {
    return false
  }
}

/** Why a vocabulary id cannot be used with the model, if it cannot (docs/PROTOCOL.md §13.1). */
const vocabularyProblem = (ctx: Ctx, id: unknown, model: string): string | undefined => {
  if (typeof id !== "string" || !/^vocab-[A-Za-z0-9-]{1,120}$/.test(id)) {
    return `vocabulary_id ${JSON.stringify(id)} is not a vocabulary id (vocab-<prefix>-<id>)`
  }
  const known = ctx.state.config.vocabularies
  if (Object.keys(known).length === 0) return undefined
  const vocabulary = known[id]
  if (vocabulary === undefined) return `vocabulary_id ${id} does not exist`
  if (vocabulary.target_model !== model) {
    return `vocabulary_id ${id} was created for ${vocabulary.target_model}, not ${model}`
  }
  return undefined
}

/**
 * `GET /__oss/result/{task}/{index}.json?Expires=…&OSSAccessKeyId=…&Signature=…` (no auth; OSS semantics).
 *
 * @since 0.2.0
 * @category routes
 */
export const result = (ctx: Ctx, id: string, index: number): Promise<void> =>
  answerResult(ctx, ctx.state.batches.checkResult(id, index, ctx.url.searchParams), (ok) => ok.document)
