/**
 * `asrflow cancel <output root>`: cancels the PENDING async tasks of an unfinished run, as recorded in its
 * ledger. DashScope cancels only PENDING tasks; RUNNING ones are left alone (and stay resumable).
 * Cancelled items are marked failed in the ledger, so the next run submits them again.
 *
 * @since 0.1.0
 */
import { Ledger } from "@asrflow/core/Ledger"
import * as RetryPolicy from "@asrflow/core/RetryPolicy"
import type { TranscriptionError } from "@asrflow/core/Transcriber"
import { Effect } from "effect"
import * as DashScopeClient from "./DashScopeClient.js"
import * as TaskPoller from "./TaskPoller.js"

/**
 * A task that was not cancelled, and why (its status when asked).
 *
 * @since 0.1.0
 * @category models
 */
export interface Skipped {
  readonly taskId: string
  readonly itemId: string
  readonly status: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Outcome {
  readonly cancelled: Array<string>
  readonly skipped: Array<Skipped>
}

/**
 * Cancels every PENDING task the ledger has open. Task queries go through the 20 QPS budget; transient
 * failures are retried with the default policy.
 *
 * @since 0.1.0
 * @category constructors
 */
export const run = (
  options: { readonly retry?: RetryPolicy.RetryPolicy | undefined } = {}
): Effect.Effect<Outcome, TranscriptionError, Ledger | DashScopeClient.DashScopeClient> =>
  Effect.gen(function*() {
    const ledger = yield* Ledger
    const client = yield* DashScopeClient.DashScopeClient
    const retry = options.retry ?? RetryPolicy.defaults
    const poller = yield* TaskPoller.make({ retry })
    const open = yield* ledger.openTasks
    const cancelled: Array<string> = []
    const skipped: Array<Skipped> = []
    for (const entry of open) {
      if (entry.task_id === null) {
        skipped.push({ taskId: "", itemId: entry.item_id, status: "SUBMITTING (no task id recorded yet)" })
        continue
      }
      const taskId = entry.task_id
      const answer = yield* poller.query(taskId, entry.item_id)
      const status = answer.value.output.task_status
      if (status !== "PENDING") {
        skipped.push({ taskId, itemId: entry.item_id, status })
        continue
      }
      const outcome = yield* client.cancelTask(taskId, { input: entry.item_id }).pipe(
        DashScopeClient.withRetry(retry),
        Effect.either
      )
      if (outcome._tag === "Left") {
        // UnsupportedOperation: the task left PENDING between the query and the cancel
        if (outcome.left.code !== "UnsupportedOperation") return yield* Effect.fail(outcome.left)
        skipped.push({ taskId, itemId: entry.item_id, status: "no longer PENDING" })
        continue
      }
      yield* ledger.markFailed(entry.fingerprint, entry.item_id, `task ${taskId} canceled by asrflow cancel`)
      cancelled.push(taskId)
    }
    yield* Effect.logInfo(`cancelled ${cancelled.length} task(s), skipped ${skipped.length}`)
    return { cancelled, skipped }
  })
