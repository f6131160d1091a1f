/**
 * Async file transcription (docs/PROTOCOL.md, Async tasks): submit, query, cancel, list, and the signed result document.
 *
 * @since 0.1.0
 */
import type { Ctx } from "./internal/http.js"
import { answerResult, header, isObject, nativeError, readJson, sendJson } from "./internal/http.js"
import { INVALID_URL, isRejection } from "./internal/rejection.js"
import { parseCompact } from "./internal/time.js"
import * as Models from "./Models.js"
import * as OssReferences from "./OssReferences.js"
import type { Rule } from "./Report.js"
import * as RoutesBatch from "./RoutesBatch.js"
import type { Status } from "./Tasks.js"
import * as Throttling from "./Throttling.js"
import * as Transcripts from "./Transcripts.js"

const SUBMIT_KEYS = new Set(["model", "input", "parameters"])
const PARAMETER_KEYS = new Set(["language", "enable_itn", "enable_words", "channel_id", "corpus"])

/**
 * `POST /api/v1/services/audio/asr/transcription`.
 *
 * @since 0.1.0
 * @category routes
 */
export const submit = async (ctx: Ctx): Promise<void> => {
  const state = ctx.state
  const violate = (rule: Rule, detail: string) => state.recorder.violation(rule, "submit", detail)
  const invalid = (message: string) => nativeError(ctx, 400, "InvalidParameter", message)
  const body = await readJson(ctx.req, 1024 * 1024)
  if (body._tag === "Aborted") return
  if (body._tag === "TooLarge") return nativeError(ctx, 413, "BadRequest.TooLarge", "Payload Too Large.")
  if (body._tag === "Invalid" || !isObject(body.json)) {
    violate("invalid_json", "the body is not a JSON object")
    return invalid("The request body is not a valid JSON object.")
  }
  const json = body.json
  const model = json.model
  if (typeof model !== "string" || model.length === 0) {
    return nativeError(ctx, 400, "BadRequest.EmptyModel", "Required parameter \"model\" missing from request.")
  }
  const family = Models.classify(model)
  if (family === undefined) {
    violate("unknown_model", model)
    return nativeError(ctx, 404, "ModelNotFound", "Model not exist.")
  }
  const asyncHeader = header(ctx.req, "x-dashscope-async")?.toLowerCase() === "enable"
  if (family !== "filetrans" && !Models.isBatch(family)) {
    violate("sync_model_on_async_path", model)
    return nativeError(
      ctx,
      403,
      "AccessDenied",
      asyncHeader ? "Current user api does not support asynchronous calls." : "Model not supported on this path."
    )
  }
  if (!asyncHeader) {
    violate("missing_async_header", "X-DashScope-Async: enable is required on submit")
    return nativeError(ctx, 403, "AccessDenied", "current user api does not support synchronous calls")
  }
  if (!Throttling.takeModel(ctx, model)) {
    return nativeError(ctx, 429, "Throttling.RateQuota", Throttling.MESSAGE, Throttling.headers(ctx))
  }
  if (Models.isBatch(family)) return RoutesBatch.submit(ctx, json, model)

  for (const key of Object.keys(json)) {
    if (SUBMIT_KEYS.has(key)) continue
    if (Models.PARAFORMER_PARAMS.has(key)) violate("paraformer_param", `body.${key}`)
    else violate("unknown_key", `body.${key}`)
  }
  const input = json.input
  if (!isObject(input)) {
    return nativeError(ctx, 400, "BadRequest.EmptyInput", "Required input parameter missing from request.")
  }
  for (const key of Object.keys(input)) {
    if (key === "file_url") continue
    if (key === "file_urls") violate("file_urls_on_qwen3", "input.file_urls is the Paraformer/Fun-ASR shape")
    else violate("unknown_key", `input.${key}`)
  }
  const fileUrl = input.file_url
  if (typeof fileUrl !== "string" || fileUrl.length === 0) {
    return invalid("Required parameter(s) missing or invalid: input.file_url.")
  }

  const parameters = json.parameters === undefined ? {} : json.parameters
  if (!isObject(parameters)) return invalid("parameters must be an object.")
  for (const key of Object.keys(parameters)) {
    if (PARAMETER_KEYS.has(key)) continue
    if (Models.PARAFORMER_PARAMS.has(key)) violate("paraformer_param", `parameters.${key}`)
    else violate("unknown_key", `parameters.${key}`)
  }
  const language = parameters.language
  if (language !== undefined && (typeof language !== "string" || !Transcripts.LANGUAGES.has(language))) {
    violate("invalid_parameter", `parameters.language = ${JSON.stringify(language)}`)
    return invalid(`The language ${JSON.stringify(language)} is not supported.`)
  }
  for (const flag of ["enable_itn", "enable_words"] as const) {
    if (parameters[flag] !== undefined && typeof parameters[flag] !== "boolean") {
      violate("invalid_parameter", `parameters.${flag} must be a boolean`)
      return invalid(`parameters.${flag} must be a boolean.`)
    }
  }
  const channelIds = parameters.channel_id === undefined ? [0] : parameters.channel_id
  if (
    !Array.isArray(channelIds) || channelIds.length === 0 ||
    !channelIds.every((c) => Number.isInteger(c) && c >= 0)
  ) {
    violate("invalid_parameter", "parameters.channel_id must be a non-empty array of non-negative integers")
    return invalid("parameters.channel_id must be an array of non-negative integers.")
  }

  let source
  let audioKey = fileUrl
  if (fileUrl.startsWith("oss://")) {
    const object = OssReferences.resolve(ctx, fileUrl, model)
    if (isRejection(object)) return nativeError(ctx, object.status, object.code, object.message)
    source = { _tag: "Oss" as const, file: object.file, sha256: object.sha256 }
    audioKey = object.sha256
  } else if (/^https?:\/\//i.test(fileUrl)) {
    try {
      source = { _tag: "Url" as const, url: new URL(fileUrl) }
    } catch {
      violate("invalid_audio_url", fileUrl)
      return invalid(INVALID_URL)
    }
  } else {
    violate("invalid_audio_url", `file_url must be http(s) or oss://, got "${fileUrl.slice(0, 60)}"`)
    return invalid(INVALID_URL)
  }

  const task = state.tasks.submit({
    model,
    fileUrl,
    requestId: ctx.requestId,
    parameters: {
      language: language as string | undefined,
      enableItn: parameters.enable_itn === true,
      enableWords: parameters.enable_words === true,
      channelIds: channelIds as Array<number>
    },
    source
  })
  state.recorder.submission(audioKey)
  await state.clock.sleep(state.config.latency_ms.submit)
  sendJson(ctx, 200, { request_id: ctx.requestId, output: { task_id: task.id, task_status: "PENDING" } })
}

/**
 * `GET|POST /api/v1/tasks/{id}`.
 *
 * @since 0.1.0
 * @category routes
 */
export const query = async (ctx: Ctx, id: string): Promise<void> => {
  const state = ctx.state
  const now = state.clock.now()
  const verdict = state.limits.taskQuery(now)
  state.recorder.start("task", now, verdict.allowed)
  if (verdict.rate > state.recorder.peakTaskQueryQps) state.recorder.peakTaskQueryQps = verdict.rate
  if (ctx.req.method === "POST") await readJson(ctx.req, 1024 * 1024)
  if (!verdict.allowed) return nativeError(ctx, 429, "Throttling", Throttling.MESSAGE, Throttling.headers(ctx))
  await state.clock.sleep(state.config.latency_ms.task)
  const batch = state.batches.get(id)
  if (batch !== undefined) return sendJson(ctx, 200, state.batches.queryBody(batch, ctx.requestId))
  sendJson(ctx, 200, state.tasks.queryBody(state.tasks.get(id), id, ctx.requestId))
}

/**
 * `POST /api/v1/tasks/{id}/cancel`.
 *
 * @since 0.1.0
 * @category routes
 */
export const cancel = async (ctx: Ctx, id: string): Promise<void> => {
  await readJson(ctx.req, 1024 * 1024)
  const batch = ctx.state.batches.get(id)
  const task = ctx.state.tasks.get(id)
  const cancelled = batch !== undefined
    ? ctx.state.batches.cancel(batch)
    : task !== undefined && ctx.state.tasks.cancel(task)
  if (!cancelled) {
    return nativeError(
      ctx,
      400,
      "UnsupportedOperation",
      "Failed to cancel the task, please confirm if the task is in PENDING status."
    )
  }
  sendJson(ctx, 200, { request_id: ctx.requestId })
}

/**
 * `GET /api/v1/tasks?…` (flat body, docs/PROTOCOL.md, Async tasks).
 *
 * @since 0.1.0
 * @category routes
 */
export const list = (ctx: Ctx): void => {
  const state = ctx.state
  const q = ctx.url.searchParams
  const now = state.clock.now()
  const pageNo = Math.max(1, Number(q.get("page_no") ?? 1) || 1)
  const pageSize = Math.min(100, Math.max(1, Number(q.get("page_size") ?? 10) || 10))
  const start = q.get("start_time") === null ? undefined : parseCompact(q.get("start_time")!)
  const end = q.get("end_time") === null ? undefined : parseCompact(q.get("end_time")!)
  if ((q.get("start_time") !== null && start === undefined) || (q.get("end_time") !== null && end === undefined)) {
    return nativeError(ctx, 400, "InvalidParameter", "start_time and end_time must use the format YYYYMMDDhhmmss.")
  }
  const status = q.get("status")
  const model = q.get("model_name")
  const rows: Array<Record<string, unknown>> = []
  // single tasks and batches, newest first
  const tasks = [
    ...state.tasks.all().map((task) => ({ task, view: state.tasks.view(task, now) })),
    ...state.batches.all().map((task) => ({ task, view: state.batches.view(task, now) }))
  ].sort((a, b) => a.task.submittedAt - b.task.submittedAt)
  for (let i = tasks.length - 1; i >= 0; i--) {
    const { task, view } = tasks[i]!
    if (view.status === "UNKNOWN") continue
    if (status !== null && view.status !== (status as Status)) continue
    if (model !== null && task.model !== model) continue
    if (start !== undefined && task.submittedAt < start) continue
    if (end !== undefined && task.submittedAt > end) continue
    rows.push({
      task_id: task.id,
      status: view.status,
      model_name: task.model,
      region: "cn-beijing",
      request_id: task.requestId,
      api_key_id: "emulator-key",
      caller_uid: "1000000000000000",
      caller_parent_id: "1000000000000000",
      gmt_create: task.submittedAt,
      start_time: view.scheduledAt ?? null,
      end_time: view.endAt ?? null,
      user_api_unique_key: `apikey:v1:emulator:${task.model}`
    })
  }
  sendJson(ctx, 200, {
    request_id: ctx.requestId,
    total: rows.length,
    total_page: Math.ceil(rows.length / pageSize),
    page_no: pageNo,
    page_size: pageSize,
    data: rows.slice((pageNo - 1) * pageSize, pageNo * pageSize)
  })
}

/**
 * `GET /__oss/result/{task}.json?Expires=…&OSSAccessKeyId=…&Signature=…` (no auth; OSS semantics).
 *
 * @since 0.1.0
 * @category routes
 */
export const result = (ctx: Ctx, id: string): Promise<void> =>
  answerResult(ctx, ctx.state.tasks.checkResult(id, ctx.url.searchParams), (ok) => ctx.state.tasks.document(ok.task))
