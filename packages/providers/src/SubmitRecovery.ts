/**
 * What to do when a submit's outcome is unknown. DashScope has no idempotency key (docs/PROTOCOL.md
 * §7.1), so a submit that may have been accepted (a connection dropped after sending, a timeout,
 * a crash between the submit intent and the task id) is never blindly sent again: the model's tasks
 * around the intent's time are listed (`GET /tasks?model_name=…&start_time=…&end_time=…`), each
 * candidate is followed until it ends, and the one whose result document names the same `file_url` is
 * the item's task (exact: `oss://` keys are unique per upload, URL items use the URL itself). Only when
 * no candidate matches may the item be submitted again. A candidate that ends FAILED has no result
 * document and cannot be matched.
 *
 * @since 0.2.0
 */
import type { RetryPolicy } from "@asrflow/core/RetryPolicy"
import type { TranscriptionError } from "@asrflow/core/Transcriber"
import { Clock, DateTime, Effect, Option } from "effect"
import type { Either } from "effect"
import * as DashScopeClient from "./DashScopeClient.js"
import type { Finished } from "./ResultDocument.js"

// =============================================================================
// Classification
// =============================================================================

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

/**
 * Whether a failed submit leaves its outcome unknown, so the task must be looked for before any
 * resubmit: not refused, and transient (or a 2xx whose body could not be decoded).
 *
 * @since 0.2.0
 * @category guards
 */
export const isUnknownOutcome = (error: TranscriptionError): boolean =>
  !isUnaccepted(error) && (error.isRetryable || error.reason === "Decode")

/**
 * `YYYYMMDDhhmmss` in China time (UTC+8), the format of the task list's time filters.
 *
 * @since 0.1.0
 * @category utils
 */
export const listTime = (epochMs: number): string =>
  DateTime.formatIso(DateTime.unsafeMake(epochMs + 8 * 3600 * 1000)).replace(/[-:T]/g, "").slice(0, 14)

// =============================================================================
// Recovery
// =============================================================================

/**
 * A listed task matched to the submit.
 *
 * @since 0.2.0
 * @category models
 */
export interface Found {
  readonly taskId: string
  readonly finished: Finished
}

/** Listed tasks are searched this long before the intent and after now (clock skew, queueing). */
const slackMs = 120_000

/**
 * The ids of the model's tasks listed around `startedAt` (from `slackMs` before it to `slackMs` after now), every
 * page of them.
 *
 * @since 0.2.0
 * @category constructors
 */
export const listTaskIds = (params: {
  readonly client: DashScopeClient.DashScopeClient.Service
  readonly retry: RetryPolicy
  readonly model: string
  readonly startedAt: number
  readonly input: string
}): Effect.Effect<ReadonlyArray<string>, TranscriptionError> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const ids: Array<string> = []
    for (let page = 1; page <= 20; page++) {
      const listed = yield* params.client.listTasks({
        model_name: params.model,
        start_time: listTime(params.startedAt - slackMs),
        end_time: listTime(Math.max(now, params.startedAt) + slackMs),
        page_no: page,
        page_size: 100
      }, { input: params.input }).pipe(DashScopeClient.withRetry(params.retry))
      ids.push(...listed.value.data.map((row) => row.task_id))
      if (page >= (listed.value.total_page ?? 1) || listed.value.data.length === 0) break
    }
    return ids
  })

/**
 * Lists the model's tasks around `startedAt` and returns the one whose result is `fileUrl`, if any.
 * `exclude` holds the task ids other items already own; `follow` follows a candidate to its end (share
 * one cached `follow` across items, so a candidate is followed once).
 *
 * @since 0.2.0
 * @category constructors
 */
export const recover = (params: {
  readonly client: DashScopeClient.DashScopeClient.Service
  readonly retry: RetryPolicy
  readonly follow: (taskId: string) => Effect.Effect<Either.Either<Finished, TranscriptionError>>
  readonly exclude: ReadonlySet<string>
  readonly model: string
  readonly fileUrl: string
  readonly startedAt: number
  readonly input: string
}): Effect.Effect<Option.Option<Found>, TranscriptionError> =>
  Effect.gen(function*() {
    const ids = yield* listTaskIds(params)
    const candidates = ids.filter((id) => !params.exclude.has(id))
    yield* Effect.logInfo(
      `submit outcome unknown: matching ${candidates.length} listed task(s) of ${params.model} by file_url`
    ).pipe(Effect.annotateLogs({ item: params.input }))
    const finished = yield* Effect.forEach(candidates, params.follow, { concurrency: 8 })
    const match = finished.flatMap((outcome, index) =>
      outcome._tag === "Right" && outcome.right.result?.document.file_url === params.fileUrl
        ? [{ taskId: candidates[index]!, finished: outcome.right }]
        : []
    )
    return Option.fromNullable(match[0])
  })
