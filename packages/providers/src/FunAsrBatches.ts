/**
 * Submitting and following Fun-ASR/Paraformer batches (docs/PROTOCOL.md §13): one submit carries the file URLs of
 * up to 100 items, one poll loop follows the task, and each item gets the task's last answer to pick its own file
 * out of. Crash safety as for qwen (docs/PROTOCOL.md §7.1), per batch:
 * - the batch is begun in the ledger (the submit intent, with every item and its file URL) before the submit;
 * - the task id is recorded as soon as it is known, before the first poll;
 * - a submit whose outcome is unknown is looked for before anything is sent again: the model's tasks around the
 *   intent are listed, followed to their end, and the one whose results name exactly the batch's file URLs is
 *   the batch's task (`find`);
 * - submits are retried only on failures that prove the request was not accepted.
 *
 * @since 0.2.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import * as PhaseSpan from "@asrflow/core/PhaseSpan"
import type { Lane } from "@asrflow/core/RateController"
import * as RetryPolicy from "@asrflow/core/RetryPolicy"
import type { TranscriptionError } from "@asrflow/core/Transcriber"
import { Clock, Deferred, Effect, Either, Exit, Option } from "effect"
import * as BatchJournal from "./BatchJournal.js"
import * as DashScopeClient from "./DashScopeClient.js"
import type { FunAsrConfig } from "./FunAsrConfig.js"
import * as FunAsrRequest from "./FunAsrRequest.js"
import * as FunAsrResult from "./FunAsrResult.js"
import * as SubmitRecovery from "./SubmitRecovery.js"
import type * as TaskPoller from "./TaskPoller.js"

/**
 * The answer a batch's submit got: the task id, and the raw submit answer when this run sent it.
 *
 * @since 0.2.0
 * @category models
 */
export interface Submitted {
  readonly taskId: string
  readonly raw: unknown
  readonly batchSize: number
}

/**
 * One item's request to join a batch.
 *
 * @since 0.2.0
 * @category models
 */
export interface Request {
  readonly item: AudioItem
  readonly request: FunAsrRequest.EffectiveRequest
  readonly fileUrl: string
  /** The ledger of the item's run (captured in its own fiber). */
  readonly ledger: BatchJournal.LedgerOption
  /** Completed once the batch's submit was accepted (or failed). */
  readonly submitted: Deferred.Deferred<Submitted, TranscriptionError>
}

/**
 * What a batch leads to for one of its items: the task's last answer (its file is in the results).
 *
 * @since 0.2.0
 * @category models
 */
export interface Outcome {
  readonly taskId: string
  readonly answer: TaskPoller.TaskAnswer
  readonly submitRaw: unknown
}

/** The file URLs a task's results name, as a set. */
const namedFiles = (answer: TaskPoller.TaskAnswer): ReadonlySet<string> =>
  new Set(FunAsrResult.fileResults(answer.raw).map((result) => result.file_url))

const sameFiles = (a: ReadonlySet<string>, b: ReadonlyArray<string>): boolean =>
  a.size === new Set(b).size && b.every((url) => a.has(url))

/**
 * The batch runner of a transcriber, with the task follower it shares with re-attaching items.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(options: {
  readonly config: FunAsrConfig
  readonly poller: TaskPoller.TaskPoller.Service
  /** Follows a task submitted earlier to its end, once per task however many items ask. */
  readonly follow: (taskId: string) => Effect.Effect<Either.Either<TaskPoller.TaskAnswer, TranscriptionError>>
  /** The account's submit lane of a model. */
  readonly submitLane: (model: string) => Effect.Effect<Lane>
}) {
  const { config, follow, poller, submitLane } = options
  const client = yield* DashScopeClient.DashScopeClient

  /**
   * Lists the model's tasks around `startedAt` and returns the one whose results name exactly `urls`, followed to
   * its end. `exclude` holds the tasks other batches own.
   */
  const find = (params: {
    readonly model: string
    readonly urls: ReadonlyArray<string>
    readonly startedAt: number
    readonly exclude: ReadonlySet<string>
    readonly input: string
  }) =>
    Effect.gen(function*() {
      const ids = yield* SubmitRecovery.listTaskIds({ client, retry: config.retry, ...params })
      const candidates = ids.filter((id) => !params.exclude.has(id))
      yield* Effect.logInfo(
        `batch submit outcome unknown: matching ${candidates.length} listed task(s) of ${params.model} by file_urls`
      )
      const followed = yield* Effect.forEach(candidates, follow, { concurrency: 8 })
      const match = followed.flatMap((answer, index) =>
        Either.isRight(answer) && sameFiles(namedFiles(answer.right), params.urls)
          ? [{ taskId: candidates[index]!, answer: answer.right }]
          : []
      )
      return Option.fromNullable(match[0])
    })

  /** Submits, never blindly twice: a submit whose outcome is unknown is looked for before a resubmit. */
  const submit = (
    batch: ReadonlyArray<Request>,
    urls: ReadonlyArray<string>,
    key: string,
    round = 0
  ): Effect.Effect<
    { readonly taskId: string; readonly raw: unknown; readonly answer?: TaskPoller.TaskAnswer | undefined },
    TranscriptionError
  > =>
    Effect.gen(function*() {
      const first = batch[0]!
      const model = first.request.model
      const input = `a batch of ${urls.length} file(s) from ${first.item.id}`
      const job = yield* BatchJournal.begin(first.ledger, {
        model,
        batchKey: key,
        files: batch.map(({ fileUrl, item }) => ({ item, fileUrl }))
      })
      const lane = yield* submitLane(model)
      const startedAt = yield* Clock.currentTimeMillis
      const body = FunAsrRequest.submitBody(model, urls, FunAsrRequest.parametersOf(first.request))
      const outcome = yield* lane.paced(
        client.submitTask(body, { input, ossResolve: urls.some((url) => url.startsWith("oss://")) })
      ).pipe(
        Effect.retry({
          schedule: RetryPolicy.toSchedule(config.retry),
          while: (error) => error.isRetryable && SubmitRecovery.isUnaccepted(error)
        }),
        PhaseSpan.phase("submit", { [PhaseSpan.attributes.model]: model, "asrflow.batch_files": urls.length }),
        Effect.either
      )
      if (Either.isRight(outcome)) {
        const taskId = outcome.right.value.output.task_id
        yield* job.submitted(taskId)
        return { taskId, raw: outcome.right.raw }
      }
      const error = outcome.left
      if (!SubmitRecovery.isUnknownOutcome(error)) {
        yield* job.failed(error.message)
        return yield* Effect.fail(error)
      }
      yield* Effect.logWarning(`batch submit outcome unknown (${error.message}); looking for it before any resubmit`)
      const exclude = yield* BatchJournal.othersTasks(first.ledger, job.jobId)
      const found = yield* find({ model, urls, startedAt, exclude, input })
      if (Option.isSome(found)) {
        yield* job.submitted(found.value.taskId)
        return { taskId: found.value.taskId, raw: undefined, answer: found.value.answer }
      }
      // out of rounds: the intent stays open, so the next run looks for the batch again
      if (round >= config.retry.attempts) return yield* Effect.fail(error)
      yield* job.abandoned(`submit outcome unknown and no listed task matched: ${error.message}`)
      return yield* submit(batch, urls, key, round + 1)
    })

  /**
   * Runs one batch: submit, record, tell each item its task id, poll once for all, and give each item the last
   * answer. A refused submit fails every item; a poll that gives up leaves the batch recorded for the next run.
   */
  const run = (
    key: string,
    batch: ReadonlyArray<Request>
  ): Effect.Effect<ReadonlyArray<Exit.Exit<Outcome, TranscriptionError>>> =>
    Effect.gen(function*() {
      const urls = [...new Set(batch.map((request) => request.fileUrl))]
      const submitted = yield* Effect.either(submit(batch, urls, key))
      const tell = (done: Exit.Exit<Submitted, TranscriptionError>) =>
        Effect.forEach(batch, (request) => Deferred.done(request.submitted, done), { discard: true })
      if (Either.isLeft(submitted)) {
        yield* tell(Exit.fail(submitted.left))
        return batch.map(() => Exit.fail(submitted.left))
      }
      const { raw, taskId } = submitted.right
      yield* tell(Exit.succeed({ taskId, raw, batchSize: urls.length }))
      const answer = submitted.right.answer !== undefined
        ? Either.right(submitted.right.answer)
        : yield* Effect.either(
          poller.await(taskId, { poll: config.poll, input: `batch task ${taskId}` }).pipe(
            PhaseSpan.phase("poll", { [PhaseSpan.attributes.taskId]: taskId })
          )
        )
      return batch.map(() =>
        Either.isLeft(answer) ? Exit.fail(answer.left) : Exit.succeed({ taskId, answer: answer.right, submitRaw: raw })
      )
    }).pipe(
      // whatever ends the batch (a defect, an interruption), no item may wait for its submit forever
      Effect.onExit((exit) =>
        Exit.isFailure(exit)
          ? Effect.forEach(batch, (request) => Deferred.failCause(request.submitted, exit.cause), { discard: true })
          : Effect.void
      ),
      Effect.withSpan("FunAsrBatches.run", { attributes: { size: batch.length } })
    )

  return { run, find }
})
