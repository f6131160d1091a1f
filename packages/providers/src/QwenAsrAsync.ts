/**
 * The async Qwen transcriber (`qwen3-asr-flash-filetrans` and its dated snapshots): stage a local file
 * through the temporary upload, submit a task, persist its id, poll it under the run's shared task-query
 * budget, download the result document at once, and map it to the canonical `Transcript`.
 *
 * Crash safety rests on the core `Ledger` (used when the environment has one and the item has a
 * fingerprint):
 * - the upload's `oss://` URL and its 48 h expiry are recorded, so a re-run reuses a still-valid upload;
 * - a *submit intent* (model, file URL, time) is written before the submit is sent, and the task id right
 *   after it is known, before the first poll;
 * - a re-run re-attaches to a recorded task submitted within 24 h instead of submitting again;
 * - DashScope has no idempotency key, so when a submit's outcome is unknown (an intent without a task id
 *   after a crash, or a connection dropped after sending), the model's tasks around the intent's time are
 *   listed (`GET /tasks?model_name=…&start_time=…&end_time=…`); each candidate is followed until it ends
 *   and matched by its result document's `file_url` (exact: `oss://` keys are unique per upload, URL items
 *   use the URL itself). Only when no candidate matches is the item submitted again. A candidate that ends
 *   FAILED has no result document and cannot be matched.
 * - Submits are retried only on failures that prove the request was not accepted (an HTTP error answer,
 *   or a connection refused before sending).
 *
 * @since 0.1.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import { Ledger } from "@asrflow/core/Ledger"
import type { Entry } from "@asrflow/core/Ledger"
import * as RetryPolicy from "@asrflow/core/RetryPolicy"
import * as RunEvents from "@asrflow/core/RunEvents"
import { Transcriber, TranscriptionError } from "@asrflow/core/Transcriber"
import { ChannelText, Evidence, Sentence, Transcript, Word } from "@asrflow/core/Transcript"
import type { FileSystem, Path } from "@effect/platform"
import { HttpClientRequest } from "@effect/platform"
import { Clock, Duration, Effect, Layer, Option, Schema } from "effect"
import * as DashScopeClient from "./DashScopeClient.js"
import * as AsyncWire from "./internal/asyncSchemas.js"
import type * as Wire from "./internal/schemas.js"
import * as Models from "./Models.js"
import * as QwenAsrSync from "./QwenAsrSync.js"
import type { QwenConfig } from "./QwenConfig.js"
import { RateLimiter } from "./RateLimiter.js"
import * as TaskPoller from "./TaskPoller.js"
import * as TempUpload from "./TempUpload.js"

// =============================================================================
// Request mapping (pure)
// =============================================================================

/**
 * Whether a model id is a qwen3 filetrans model (any dated snapshot included).
 *
 * @since 0.1.0
 * @category guards
 */
export const isFiletrans = (model: string): boolean => Models.lookup(model)?.mode === "async"

/**
 * The submit body (docs/PROTOCOL.md §7.1): `input.file_url` and only the documented parameters. One language
 * hint becomes `language`; `enable_words` is sent (true) when `timestamp_granularities` contains `word`.
 *
 * @since 0.1.0
 * @category utils
 */
export const toSubmitRequest = (
  model: string,
  fileUrl: string,
  request: QwenAsrSync.EffectiveRequest
): Wire.SubmitRequest => {
  const hints = request.language_hints ?? []
  const parameters = {
    ...(request.channel_id !== undefined && request.channel_id.length > 0
      ? { channel_id: [...request.channel_id] }
      : {}),
    ...(hints.length === 1 ? { language: hints[0]! } : {}),
    ...(request.enable_itn !== undefined ? { enable_itn: request.enable_itn } : {}),
    ...(request.timestamp_granularities?.includes("word") ? { enable_words: true } : {})
  }
  return {
    model,
    input: { file_url: fileUrl },
    ...(Object.keys(parameters).length > 0 ? { parameters } : {})
  }
}

/**
 * The warnings for fields a filetrans model cannot honour (none of them is sent).
 *
 * @since 0.1.0
 * @category utils
 */
export const warningsFor = (model: string, request: QwenAsrSync.EffectiveRequest): Array<string> => {
  const capability = Models.lookup(model)
  if (capability === undefined) return [`unknown model ${model}`]
  return QwenAsrSync.warningsFor(capability, model, { ...request, context: undefined, stream: undefined }).concat(
    request.context !== undefined && request.context !== ""
      ? [`${model}: filetrans has no documented context parameter; context is not sent`]
      : [],
    request.stream === true ? [`${model} is an async task model; stream is ignored`] : []
  )
}

// =============================================================================
// Result mapping (pure)
// =============================================================================

const mostCommon = (values: ReadonlyArray<string | null | undefined>): string | undefined => {
  const counts = new Map<string, number>()
  for (const value of values) {
    if (value !== null && value !== undefined && value !== "") counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  let best: string | undefined
  let bestCount = 0
  for (const [value, count] of counts) {
    if (count > bestCount) [best, bestCount] = [value, count]
  }
  return best
}

/**
 * Maps a result document and its task to the canonical `Transcript`.
 *
 * @since 0.1.0
 * @category utils
 */
export const toTranscript = (params: {
  readonly document: AsyncWire.ResultDocument
  readonly task: Wire.TaskResponse
  readonly model: string
  readonly provider?: string | undefined
  readonly raw: unknown
  readonly warnings?: ReadonlyArray<string> | undefined
  readonly evidence?: ReadonlyArray<Evidence> | undefined
  readonly durationMs?: number | undefined
}): Transcript => {
  const channels = params.document.transcripts.map((channel) =>
    new ChannelText({ channelId: channel.channel_id, text: channel.text })
  )
  const sentences = params.document.transcripts.flatMap((channel) =>
    channel.sentences.map((sentence, index) =>
      new Sentence({
        id: sentence.sentence_id ?? index,
        channelId: channel.channel_id,
        beginMs: sentence.begin_time,
        endMs: sentence.end_time,
        text: sentence.text,
        ...(sentence.language ? { language: sentence.language } : {}),
        ...(sentence.emotion ? { emotion: sentence.emotion } : {}),
        ...(sentence.words !== undefined && sentence.words !== null
          ? {
            words: sentence.words.map((word) =>
              new Word({
                beginMs: word.begin_time,
                endMs: word.end_time,
                text: word.text,
                punctuation: word.punctuation ?? ""
              })
            )
          }
          : {})
      })
    )
  )
  const language = mostCommon(sentences.map((sentence) => sentence.language))
  const emotion = mostCommon(sentences.map((sentence) => sentence.emotion))
  const usageSeconds = params.task.usage?.seconds
  return new Transcript({
    text: channels.map((channel) => channel.text).join("\n"),
    model: params.model,
    provider: params.provider ?? "qwen",
    status: params.task.output.task_status,
    taskId: params.task.output.task_id,
    ...(params.task.request_id !== undefined ? { requestId: params.task.request_id } : {}),
    ...(language !== undefined ? { language } : {}),
    ...(emotion !== undefined ? { emotion } : {}),
    ...(params.durationMs !== undefined ? { durationMs: params.durationMs } : {}),
    ...(usageSeconds !== undefined && usageSeconds !== null ? { usageSeconds } : {}),
    sentences,
    channels,
    warnings: params.warnings ?? [],
    raw: params.raw,
    evidence: params.evidence ?? []
  })
}

/**
 * The result document URL of a finished task: `output.result.transcription_url`, falling back to
 * `output.results[0].transcription_url`.
 *
 * @since 0.1.0
 * @category utils
 */
export const transcriptionUrlOf = (task: Wire.TaskResponse): string | undefined =>
  task.output.result?.transcription_url ?? task.output.results?.[0]?.transcription_url

/**
 * `YYYYMMDDhhmmss` in China time (UTC+8), the format of the task list's time filters.
 *
 * @since 0.1.0
 * @category utils
 */
export const listTime = (epochMs: number): string =>
  new Date(epochMs + 8 * 3600 * 1000).toISOString().replace(/[-:T]/g, "").slice(0, 14)

const ambiguousCodes = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "UND_ERR_SOCKET", "UND_ERR_CLOSED"])
const unsentCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"])

const errorCodes = (cause: unknown, depth = 0): Array<string> => {
  if (depth > 5 || typeof cause !== "object" || cause === null) return []
  const code = "code" in cause && typeof cause.code === "string" ? [cause.code] : []
  return code.concat("cause" in cause ? errorCodes(cause.cause, depth + 1) : [])
}

/**
 * Whether a failed submit was certainly not accepted: the server answered with an HTTP error, or the
 * connection was refused before anything was sent. Anything else (a reset or a timeout after sending, an
 * undecodable 200) is ambiguous: the task may exist.
 *
 * @since 0.1.0
 * @category guards
 */
export const isUnaccepted = (error: TranscriptionError): boolean => {
  if (error.status !== undefined) return error.status >= 400
  if (error.reason !== "Transport") return false
  const codes = errorCodes(error.cause)
  return codes.some((code) => unsentCodes.has(code)) && !codes.some((code) => ambiguousCodes.has(code))
}

// =============================================================================
// Constructors
// =============================================================================

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The task-query budget of the run (default 20 QPS). */
  readonly maxTaskQueryQps?: number | undefined
  /** How long a recorded task may be re-attached to (default 24 h, the result's lifetime). */
  readonly reattachWindowMs?: number | undefined
}

const dayMs = 24 * 3600 * 1000

const hasEntryTime = (value: number | null): value is number => value !== null

/**
 * The `Transcriber` for the filetrans models. Build it once per run: it owns the run's task-query budget
 * and upload-policy cache.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(config: QwenConfig, options: Options = {}) {
  const client = yield* DashScopeClient.DashScopeClient
  const limiter = yield* RateLimiter
  const poller = yield* TaskPoller.make({ retry: config.retry, maxQps: options.maxTaskQueryQps })
  const stager = yield* TempUpload.make({ retry: config.retry })
  const provider = client.provider
  const reattachWindowMs = options.reattachWindowMs ?? dayMs
  const requestTimeout = Duration.seconds(config.timeout_secs)

  const nowIso = Effect.map(Clock.currentTimeMillis, (now) => new Date(now).toISOString())
  const evidence = (phase: string, body: unknown) => Effect.map(nowIso, (at) => new Evidence({ phase, at, body }))

  const failure = (
    input: string,
    reason: TranscriptionError["reason"],
    description: string,
    extra: { readonly taskId?: string | undefined; readonly code?: string | undefined } = {}
  ) =>
    new TranscriptionError({
      provider,
      input,
      reason,
      description,
      ...(extra.taskId !== undefined ? { taskId: extra.taskId } : {}),
      ...(extra.code !== undefined ? { code: extra.code } : {})
    })

  // ===========================================================================
  // Result download
  // ===========================================================================

  const decodeDocument = Schema.decodeUnknownEither(AsyncWire.ResultDocument)

  /** GET the signed result URL without credentials, at once; an expired URL is a clear error. */
  const download = (url: string, taskId: string, input: string) =>
    Effect.gen(function*() {
      const response = yield* client.unauthenticated.execute(HttpClientRequest.get(url)).pipe(
        Effect.catchTags({
          RequestError: (error) =>
            Effect.fail(
              new TranscriptionError({
                provider,
                input,
                reason: "Transport",
                taskId,
                description: `result download failed: ${error.message}`,
                cause: error.cause
              })
            ),
          ResponseError: (error) =>
            Effect.fail(failure(input, "Transport", `result download failed: ${error.message}`, { taskId }))
        }),
        Effect.timeoutFail({
          duration: requestTimeout,
          onTimeout: () => failure(input, "Timeout", "the result download did not answer in time", { taskId })
        })
      )
      const text = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
      if (response.status < 200 || response.status >= 300) {
        const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1]
        const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1]
        const expired = response.status === 403 && (code === "AccessDenied" || /expired/i.test(message ?? ""))
        return yield* Effect.fail(
          new TranscriptionError({
            provider,
            input,
            reason: expired ? "TaskLost" : response.status >= 500 ? "ServerError" : "InvalidRequest",
            status: response.status,
            taskId,
            code: expired ? "ResultExpired" : code ?? `HTTP${response.status}`,
            description: expired
              ? `the result document of task ${taskId} has expired (${code}: ${message ?? "expired"}); ` +
                "results are kept 24 h after a task ends, so this item must be transcribed again (re-run)"
              : `the result document could not be downloaded: HTTP ${response.status}${code ? ` ${code}` : ""}${
                message ? `: ${message}` : ""
              }`
          })
        )
      }
      const raw = yield* Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: () => failure(input, "Decode", `the result document is not JSON: ${text.slice(0, 200)}`, { taskId })
      })
      const document = decodeDocument(raw)
      if (document._tag === "Left") {
        return yield* Effect.fail(
          failure(input, "Decode", `unexpected result document: ${document.left.message}`, { taskId })
        )
      }
      return { document: document.right, raw }
    }).pipe(DashScopeClient.withRetry(config.retry))

  // ===========================================================================
  // Candidates for an unknown submit outcome
  // ===========================================================================

  interface Finished {
    readonly answer: TaskPoller.TaskAnswer
    readonly result?: { readonly document: AsyncWire.ResultDocument; readonly raw: unknown } | undefined
  }

  /** Follows a task to its end (an immediate query, then the poll schedule) and fetches its result. */
  const follow = (taskId: string, input: string): Effect.Effect<Finished, TranscriptionError> =>
    poller.query(taskId, input).pipe(
      Effect.flatMap((answer) =>
        TaskPoller.isPending(answer.value.output.task_status)
          ? poller.await(taskId, { poll: config.poll, input })
          : Effect.succeed(answer)
      ),
      Effect.flatMap((answer) => {
        const url = answer.value.output.task_status === "SUCCEEDED" ? transcriptionUrlOf(answer.value) : undefined
        return url === undefined
          ? Effect.succeed<Finished>({ answer })
          : Effect.map(download(url, taskId, input), (result): Finished => ({ answer, result }))
      })
    )

  const followCached = yield* Effect.cachedFunction((taskId: string) => Effect.either(follow(taskId, taskId)))

  /** Lists the model's tasks around `startedAt` and returns the one whose result is `fileUrl`, if any. */
  const recover = (params: {
    readonly model: string
    readonly fileUrl: string
    readonly startedAt: number
    readonly fingerprint: string | undefined
    readonly input: string
  }) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const ledger = yield* Effect.serviceOption(Ledger)
      const others = Option.isSome(ledger)
        ? new Set(
          (yield* ledger.value.openTasks)
            .filter((entry) => entry.fingerprint !== params.fingerprint && entry.task_id !== null)
            .map((entry) => entry.task_id!)
        )
        : new Set<string>()
      const ids: Array<string> = []
      for (let page = 1; page <= 20; page++) {
        const listed = yield* client.listTasks({
          model_name: params.model,
          start_time: listTime(params.startedAt - 120_000),
          end_time: listTime(Math.max(now, params.startedAt) + 120_000),
          page_no: page,
          page_size: 100
        }, { input: params.input }).pipe(DashScopeClient.withRetry(config.retry))
        ids.push(...listed.value.data.map((row) => row.task_id))
        if (page >= (listed.value.total_page ?? 1) || listed.value.data.length === 0) break
      }
      const candidates = ids.filter((id) => !others.has(id))
      yield* Effect.logInfo(
        `submit outcome unknown: matching ${candidates.length} listed task(s) of ${params.model} by file_url`
      ).pipe(Effect.annotateLogs({ item: params.input }))
      const finished = yield* Effect.forEach(candidates, followCached, { concurrency: 8 })
      const match = finished.flatMap((outcome, index) =>
        outcome._tag === "Right" && outcome.right.result?.document.file_url === params.fileUrl
          ? [{ taskId: candidates[index]!, finished: outcome.right }]
          : []
      )
      return Option.fromNullable(match[0])
    })

  // ===========================================================================
  // Transcribe
  // ===========================================================================

  const run = (item: AudioItem, mode: "wait" | "submit"): Effect.Effect<Transcript, TranscriptionError> =>
    Effect.gen(function*() {
      const input = item.id
      const request = QwenAsrSync.effectiveRequest(config, item)
      const model = request.model === "auto" ? Models.auto.async : request.model
      if (!isFiletrans(model)) {
        return yield* Effect.fail(
          failure(input, "InvalidRequest", `async needs a filetrans model (e.g. ${Models.auto.async}), not ${model}`)
        )
      }
      const warnings = warningsFor(model, request)
      const ledger = item.fingerprint === undefined ? Option.none() : yield* Effect.serviceOption(Ledger)
      const fingerprint = item.fingerprint ?? ""
      const journal = {
        get: Option.isSome(ledger) ? ledger.value.get(fingerprint) : Effect.succeed(Option.none<Entry>()),
        recordUpload: (fileUrl: string, expiresAt: number) =>
          Option.isSome(ledger)
            ? ledger.value.recordUpload(fingerprint, { itemId: item.id, model, fileUrl, expiresAt })
            : Effect.void,
        recordSubmitIntent: (fileUrl: string) =>
          Option.isSome(ledger)
            ? ledger.value.recordSubmitIntent(fingerprint, { itemId: item.id, model, fileUrl })
            : Effect.void,
        recordTask: (taskId: string) =>
          Option.isSome(ledger) ? ledger.value.recordTask(fingerprint, taskId) : Effect.void,
        markFailed: (message: string) =>
          Option.isSome(ledger) ? ledger.value.markFailed(fingerprint, item.id, message) : Effect.void
      }

      const finish = (finished: Finished, submitRaw: unknown): Effect.Effect<Transcript, TranscriptionError> =>
        Effect.gen(function*() {
          const task = finished.answer.value
          const taskId = task.output.task_id
          const status = task.output.task_status
          if (status === "SUCCEEDED") {
            const url = transcriptionUrlOf(task)
            if (url === undefined) {
              return yield* Effect.fail(
                failure(input, "Decode", "the task SUCCEEDED but names no transcription_url", { taskId })
              )
            }
            const result = finished.result ?? (yield* download(url, taskId, input))
            const trail = [
              ...(submitRaw !== undefined ? [yield* evidence("submit", submitRaw)] : []),
              yield* evidence("poll", finished.answer.raw),
              yield* evidence("result", result.raw)
            ]
            return toTranscript({
              document: result.document,
              task,
              model,
              provider,
              raw: finished.answer.raw,
              warnings,
              evidence: trail,
              durationMs: item.durationMs
            })
          }
          if (status === "FAILED" || status === "CANCELED") {
            return yield* Effect.fail(
              failure(
                input,
                "TaskFailed",
                status === "CANCELED" ? "the task was canceled" : task.output.message ?? "the task failed",
                { taskId, code: task.output.code ?? status }
              )
            )
          }
          return yield* Effect.fail(
            failure(
              input,
              "TaskLost",
              `task ${taskId} is UNKNOWN: it expired (tasks and results live 24 h) or was lost; re-run to submit again`,
              { taskId, code: "UNKNOWN" }
            )
          )
        }).pipe(
          // a failed, canceled, lost or expired task is final: the next run submits again. Anything else
          // (a poll timeout, a transport failure) leaves the task recorded, so the next run resumes it.
          Effect.tapError((error) =>
            error.reason === "TaskFailed" || error.reason === "TaskLost"
              ? journal.markFailed(error.message)
              : Effect.void
          )
        )

      const attach = (taskId: string) =>
        Effect.gen(function*() {
          yield* RunEvents.emit("submitted", item.id, { data: { task_id: taskId, model, reattached: true } })
          return yield* follow(taskId, input)
        })

      // --- 1. resume what a previous run left -------------------------------------------------------
      const entry = Option.getOrUndefined(yield* journal.get)
      const now = yield* Clock.currentTimeMillis
      if (entry !== undefined && entry.model === model) {
        if (
          entry.status === "submitted" && entry.task_id !== null && hasEntryTime(entry.submitted_at) &&
          now - entry.submitted_at < reattachWindowMs
        ) {
          const finished = yield* attach(entry.task_id)
          if (finished.answer.value.output.task_status !== "UNKNOWN") return yield* finish(finished, undefined)
          yield* Effect.logWarning(`recorded task ${entry.task_id} is UNKNOWN (expired or lost); submitting again`)
        } else if (
          entry.status === "submitting" && entry.file_url !== null && hasEntryTime(entry.submit_started_at) &&
          now - entry.submit_started_at < reattachWindowMs
        ) {
          const found = yield* recover({
            model,
            fileUrl: entry.file_url,
            startedAt: entry.submit_started_at,
            fingerprint: item.fingerprint,
            input
          })
          if (Option.isSome(found)) {
            yield* journal.recordTask(found.value.taskId)
            yield* RunEvents.emit("submitted", item.id, {
              data: { task_id: found.value.taskId, model, recovered: true }
            })
            return yield* finish(found.value.finished, undefined)
          }
        }
      }

      // --- 2. stage ----------------------------------------------------------------------------------
      const fileUrl = yield* Effect.gen(function*() {
        if (!item.isLocal) return item.source
        if (
          entry !== undefined && entry.model === model && entry.file_url !== null &&
          entry.file_url.startsWith("oss://") && TempUpload.isUsable(entry.file_url_expires_at, now)
        ) return entry.file_url
        const started = yield* Clock.currentTimeMillis
        const staged = yield* stager.stage(item.source, { model, mime: QwenAsrSync.mimeOf(item), input })
        yield* journal.recordUpload(staged.fileUrl, staged.expiresAt)
        yield* RunEvents.emit("staged", item.id, {
          durationMs: (yield* Clock.currentTimeMillis) - started,
          data: { file_url: staged.fileUrl, bytes: staged.bytes }
        })
        return staged.fileUrl
      })

      // --- 3. submit (never blindly twice) -------------------------------------------------------------
      const body = toSubmitRequest(model, fileUrl, request)
      const rpm = config.rate_limit.requests_per_minute ?? Models.lookup(model)!.requestsPerMinute
      const submitOnce = limiter.acquire(model, rpm).pipe(
        Effect.zipRight(client.submitTask(body, { input, ossResolve: fileUrl.startsWith("oss://") })),
        Effect.retry({
          schedule: RetryPolicy.toSchedule(config.retry),
          while: (error) => error.isRetryable && isUnaccepted(error)
        })
      )
      const submit = (round: number): Effect.Effect<
        { readonly taskId: string; readonly raw: unknown; readonly finished?: Finished | undefined },
        TranscriptionError
      > =>
        Effect.gen(function*() {
          yield* journal.recordSubmitIntent(fileUrl)
          const startedAt = yield* Clock.currentTimeMillis
          const outcome = yield* Effect.either(submitOnce)
          if (outcome._tag === "Right") return { taskId: outcome.right.value.output.task_id, raw: outcome.right.raw }
          const error = outcome.left
          if (isUnaccepted(error) || (!error.isRetryable && error.reason !== "Decode")) {
            yield* journal.markFailed(error.message)
            return yield* Effect.fail(error)
          }
          yield* Effect.logWarning(
            `submit outcome unknown (${error.message}); looking for the task before any resubmit`
          )
          const found = yield* recover({ model, fileUrl, startedAt, fingerprint: item.fingerprint, input })
          if (Option.isSome(found)) {
            return { taskId: found.value.taskId, raw: undefined, finished: found.value.finished }
          }
          if (round >= config.retry.attempts) return yield* Effect.fail(error)
          return yield* submit(round + 1)
        })
      const submitted = yield* submit(0)
      yield* journal.recordTask(submitted.taskId)
      yield* RunEvents.emit("submitted", item.id, { data: { task_id: submitted.taskId, model } })
      if (mode === "submit" && submitted.finished === undefined) {
        // the normalized response of a submission: no text yet, the task id and its status
        return new Transcript({
          text: "",
          model,
          provider,
          status: "PENDING",
          taskId: submitted.taskId,
          warnings,
          raw: submitted.raw ?? null,
          evidence: submitted.raw === undefined ? [] : [yield* evidence("submit", submitted.raw)]
        })
      }

      // --- 4. poll, download, map ----------------------------------------------------------------------
      // one "polled" event per status change, not per query
      let lastStatus: string | undefined
      const finished = submitted.finished ?? (yield* poller.await(submitted.taskId, {
        poll: config.poll,
        input,
        onPoll: (answer) => {
          const status = answer.value.output.task_status
          if (status === lastStatus) return Effect.void
          lastStatus = status
          return RunEvents.emit("polled", item.id, { data: { task_id: submitted.taskId, status } })
        }
      }).pipe(
        Effect.flatMap((answer) => {
          const url = answer.value.output.task_status === "SUCCEEDED" ? transcriptionUrlOf(answer.value) : undefined
          return url === undefined
            ? Effect.succeed<Finished>({ answer })
            : Effect.map(download(url, submitted.taskId, input), (result): Finished => ({ answer, result }))
        })
      ))
      return yield* finish(finished, submitted.raw)
    }).pipe(
      Effect.annotateLogs({ item: item.id }),
      Effect.withSpan("QwenAsrAsync.transcribe", { attributes: { item: item.id } })
    )

  const plan = (item: AudioItem) => {
    const request = QwenAsrSync.effectiveRequest(config, item)
    const model = request.model === "auto" ? Models.auto.async : request.model
    const capability = Models.lookup(model)
    const seconds = item.durationMs === undefined ? undefined : Math.ceil(item.durationMs / 1000)
    const channels = request.channel_id?.length ?? 1
    return {
      route: "async",
      model,
      estimatedSeconds: seconds === undefined ? undefined : seconds * channels,
      estimatedCost: capability === undefined || seconds === undefined
        ? undefined
        : Models.estimateCost(capability, config.region, seconds * channels),
      warnings: isFiletrans(model)
        ? warningsFor(model, request)
        : [`async needs a filetrans model (e.g. ${Models.auto.async}), not ${model}`]
    }
  }

  return {
    provider,
    transcribe: (item: AudioItem) => run(item, "wait"),
    submit: (item: AudioItem) => run(item, "submit"),
    plan,
    requestKey: (item: AudioItem) => QwenAsrSync.requestKey(config, item)
  } satisfies Service
})

/**
 * The async transcriber, plus `submit`: stage and submit without waiting (`transcribe --async`
 * without `--wait`); the task id is in the ledger, so a later `transcribe` of the item re-attaches.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service extends Transcriber.Service {
  readonly submit: (item: AudioItem) => Effect.Effect<Transcript, TranscriptionError>
}

/**
 * The async transcriber as a layer over an existing client and rate limiter.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: QwenConfig,
  options: Options = {}
): Layer.Layer<
  Transcriber,
  never,
  DashScopeClient.DashScopeClient | RateLimiter | FileSystem.FileSystem | Path.Path
> => Layer.effect(Transcriber, make(config, options))
