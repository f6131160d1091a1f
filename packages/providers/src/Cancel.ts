/**
 * `asrflow cancel` for the DashScope providers: cancels the PENDING tasks of an unfinished run, as its ledger records them.
 * DashScope cancels only PENDING tasks (docs/PROTOCOL.md §7.6); RUNNING ones are left
 * alone and stay resumable. A cancelled job ends `cancelled` and its items are marked failed, so the
 * next run submits them again.
 *
 * @since 0.1.0
 */
import type * as Credentials from "@asrflow/core/Credentials"
import { Ledger } from "@asrflow/core/Ledger"
import type * as ProviderCheck from "@asrflow/core/ProviderCheck"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import type { HttpClient } from "@effect/platform"
import { Effect } from "effect"
import type { Connection } from "./DashScopeAccount.js"
import * as DashScopeClient from "./DashScopeClient.js"
import * as TaskJournal from "./TaskJournal.js"
import * as TaskPoller from "./TaskPoller.js"

/**
 * Cancels every PENDING task of the open jobs `provider` recorded (a qwen task, a funasr batch). Task queries
 * go through the run's 20 QPS budget; transient failures are retried with the config's policy.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (provider: string) =>
(
  config: Connection,
  credentials: Credentials.Resolved
): Effect.Effect<ProviderCheck.CancelOutcome, TranscriptionError, HttpClient.HttpClient | Ledger> =>
  Effect.gen(function*() {
    const ledger = yield* Ledger
    const client = yield* DashScopeClient.fromConfig(config, credentials.key).pipe(
      Effect.mapError((error) =>
        new TranscriptionError({
          provider,
          input: "cancel",
          reason: "InvalidRequest",
          description: error.message
        })
      )
    )
    const poller = yield* TaskPoller.make({ retry: config.retry }).pipe(
      Effect.provideService(DashScopeClient.DashScopeClient, client)
    )
    const cancelled: Array<string> = []
    const kept: Array<ProviderCheck.CancelOutcome["kept"][number]> = []
    for (const job of yield* ledger.openJobs(provider)) {
      const itemId = job.items.map((item) => item.itemId).join(", ")
      if (job.remoteId === null) {
        kept.push({ remoteId: "", itemId, status: "SUBMITTING (no task id recorded yet)" })
        continue
      }
      const taskId = job.remoteId
      const answer = yield* poller.query(taskId, itemId)
      const status = answer.value.output.task_status
      if (status !== "PENDING") {
        kept.push({ remoteId: taskId, itemId, status })
        continue
      }
      const outcome = yield* client.cancelTask(taskId, { input: itemId }).pipe(
        DashScopeClient.withRetry(config.retry),
        Effect.either
      )
      if (outcome._tag === "Left") {
        // UnsupportedOperation: the task left PENDING between the query and the cancel
        if (outcome.left.code !== "UnsupportedOperation") return yield* Effect.fail(outcome.left)
        kept.push({ remoteId: taskId, itemId, status: "no longer PENDING" })
        continue
      }
      const reason = `task ${taskId} canceled by asrflow cancel`
      yield* ledger.endJob(job.jobId, "cancelled", reason)
      yield* Effect.forEach(job.items, (item) => ledger.markFailed(item.fingerprint, item.itemId, reason), {
        discard: true
      })
      cancelled.push(taskId)
    }
    yield* Effect.logInfo(`cancelled ${cancelled.length} task(s), kept ${kept.length}`)
    return { cancelled, kept }
  })

/**
 * `asrflow cancel` for qwen.
 *
 * @since 0.2.0
 * @category constructors
 */
export const run = make(TaskJournal.provider)
