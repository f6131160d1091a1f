/**
 * The Fun-ASR/Paraformer transcriber: each item re-attaches to the batch a previous run left (`resume`), or is
 * staged (a local file through the temporary upload) and joins a batch of items with the same request (`Batcher`,
 * `FunAsrBatches`); once the batch's task ends, the item picks its own file out of the task's results by URL,
 * downloads its result document and maps it (`FunAsrResult`). A file that fails inside a batch fails alone.
 *
 * Batches fill as fast as the runner hands items over: the pipeline's `concurrency` should be at least
 * `batch.max_files` for full batches (docs/ARCHITECTURE.md, How to add a provider).
 *
 * @since 0.2.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import * as InFlightAudio from "@asrflow/core/InFlightAudio"
import * as PhaseSpan from "@asrflow/core/PhaseSpan"
import * as RunEvents from "@asrflow/core/RunEvents"
import type { Transcriber } from "@asrflow/core/Transcriber"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import { Transcript } from "@asrflow/core/Transcript"
import { Clock, Deferred, Duration, Effect, Either, Fiber, Option } from "effect"
import * as Batcher from "./Batcher.js"
import * as BatchJournal from "./BatchJournal.js"
import * as DashScopeClient from "./DashScopeClient.js"
import * as DashScopeLanes from "./DashScopeLanes.js"
import * as FunAsrBatches from "./FunAsrBatches.js"
import type { FunAsrConfig } from "./FunAsrConfig.js"
import * as FunAsrModels from "./FunAsrModels.js"
import * as FunAsrRequest from "./FunAsrRequest.js"
import * as FunAsrResult from "./FunAsrResult.js"
import * as QwenRequest from "./QwenRequest.js"
import * as ResultDocument from "./ResultDocument.js"
import * as TaskJournal from "./TaskJournal.js"
import * as TaskPoller from "./TaskPoller.js"
import * as TempUpload from "./TempUpload.js"

/** How long a recorded batch may be re-attached to: a task and its results live 24 h. */
const reattachWindowMs = 24 * 3600 * 1000

/** One item on its way. */
interface Attempt {
  readonly item: AudioItem
  readonly request: FunAsrRequest.EffectiveRequest
  readonly warnings: ReadonlyArray<string>
  readonly ledger: BatchJournal.LedgerOption
}

/**
 * The `Transcriber` for the Fun-ASR/Paraformer models. Build it once per run (in a scope): it owns the run's
 * batches, task-query budget and upload-policy cache.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(config: FunAsrConfig) {
  const client = yield* DashScopeClient.DashScopeClient
  const lanes = yield* DashScopeLanes.make(client, config.rate_limit, FunAsrModels.documentedPerMinute)
  const poller = yield* TaskPoller.make({ retry: config.retry, lane: lanes.query })
  const stager = yield* TempUpload.make({ retry: config.retry, lanes: lanes.policy })
  const provider = client.provider
  const words = config.timestamp_granularities?.includes("word") ?? true
  const fetchOptions = { timeout: Duration.seconds(config.timeout_secs), retry: config.retry }

  // a task submitted earlier is followed once, however many of its items (or recoveries) look at it
  const follow = yield* Effect.cachedFunction((taskId: string) =>
    Effect.either(poller.await(taskId, { poll: config.poll, input: taskId, immediate: true }))
  )
  const batches = yield* FunAsrBatches.make({ config, poller, follow, submitLane: lanes.submit })
  const batcher = yield* Batcher.make({
    maxSize: config.batch.max_files,
    lingerMs: config.batch.linger_ms,
    run: batches.run
  })

  const failure = (a: Attempt, reason: TranscriptionError["reason"], description: string, extra: {
    readonly taskId?: string | undefined
    readonly code?: string | undefined
  } = {}) =>
    new TranscriptionError({
      provider,
      input: a.item.id,
      reason,
      description,
      ...(extra.taskId !== undefined ? { taskId: extra.taskId } : {}),
      ...(extra.code !== undefined ? { code: extra.code } : {})
    })

  const markFailed = (a: Attempt, message: string) =>
    Option.isSome(a.ledger) && a.item.fingerprint !== undefined
      ? a.ledger.value.markFailed(a.item.fingerprint, a.item.id, message)
      : Effect.void

  /** The item's transcript from its batch's last answer: its own file's result, downloaded and mapped. */
  const conclude = (a: Attempt, fileUrl: string, outcome: FunAsrBatches.Outcome) =>
    Effect.gen(function*() {
      const { answer, taskId } = outcome
      const output = answer.value.output
      if (output.task_status === "UNKNOWN") {
        return yield* failure(a, "TaskLost", `task ${taskId} is UNKNOWN: it expired (24 h) or was lost; re-run`, {
          taskId,
          code: "UNKNOWN"
        })
      }
      const result = FunAsrResult.fileResults(answer.raw).find((entry) => entry.file_url === fileUrl)
      const parts = {
        model: a.request.model,
        provider,
        input: a.item.id,
        taskId,
        requestId: answer.requestId,
        warnings: a.warnings,
        durationMs: a.item.durationMs,
        words,
        answer: answer.raw,
        submit: outcome.submitRaw ?? undefined
      }
      if (result?.subtask_status === "SUCCEEDED" && result.transcription_url) {
        const downloaded = yield* ResultDocument.download(client, {
          url: result.transcription_url,
          taskId,
          input: a.item.id,
          ...fetchOptions
        }).pipe(PhaseSpan.phase("fetch", { [PhaseSpan.attributes.taskId]: taskId }))
        return yield* FunAsrResult.toTranscript({ ...parts, document: downloaded.raw })
      }
      if (result?.code === FunAsrResult.noSpeechCode) return yield* FunAsrResult.toTranscript(parts)
      const error = result === undefined
        ? failure(
          a,
          output.task_status === "SUCCEEDED" ? "Decode" : "TaskFailed",
          output.task_status === "SUCCEEDED"
            ? `task ${taskId} names no result for ${fileUrl}`
            : output.message ?? `the batch task ended ${output.task_status}`,
          { taskId, code: output.code ?? output.task_status }
        )
        : failure(a, "TaskFailed", result.message ?? "the file failed inside its batch", {
          taskId,
          code: result.code ?? "FAILED"
        })
      yield* markFailed(a, error.message)
      return yield* error
    })

  // a recorded batch whose submit outcome is unknown is looked for once, however many of its items ask
  const findJob = yield* Effect.cachedFunction(
    ({ job, ledger }: { readonly job: BatchJournal.Job; readonly ledger: BatchJournal.LedgerOption }) =>
      Effect.gen(function*() {
        const exclude = yield* BatchJournal.othersTasks(ledger, job.jobId)
        const found = yield* batches.find({
          model: job.model,
          urls: job.files.map((file) => file.fileUrl),
          startedAt: job.createdAt,
          exclude,
          input: `recorded batch ${job.jobId}`
        })
        if (Option.isSome(found)) yield* job.submitted(found.value.taskId)
        return Option.getOrUndefined(Option.map(found, (match) => match.taskId))
      }).pipe(Effect.either),
    (a, b) => a.job.jobId === b.job.jobId
  )

  const recover = (a: Attempt, job: BatchJournal.Job) =>
    Effect.flatMap(
      findJob({ job, ledger: a.ledger }),
      (found) => Either.isLeft(found) ? found.left : Effect.succeed(found.right)
    )

  /** 1. What a previous run left: a batch to re-attach to, or a batch submit whose outcome must be found. */
  const resume = (a: Attempt): Effect.Effect<Option.Option<Transcript>, TranscriptionError> =>
    Effect.gen(function*() {
      const job = Option.getOrUndefined(yield* BatchJournal.latestJob(a.ledger, a.item))
      if (job === undefined || (job.status !== "submitting" && job.status !== "submitted")) return Option.none()
      const own = job.files.find((file) => file.fingerprint === a.item.fingerprint)
      const now = yield* Clock.currentTimeMillis
      const fresh = (since: number | null) =>
        own !== undefined && job.model === a.request.model && since !== null && now - since < reattachWindowMs
      let taskId: string | undefined
      if (job.status === "submitted" && job.remoteId !== null && fresh(job.submittedAt)) {
        taskId = job.remoteId
      } else if (job.status === "submitting" && fresh(job.createdAt)) {
        taskId = yield* recover(a, job)
      }
      if (taskId === undefined || own === undefined) {
        yield* job.abandoned(`not resumable (${job.status}); its items are submitted again`)
        return Option.none()
      }
      yield* RunEvents.emit("submitted", a.item.id, { data: { task_id: taskId, model: job.model, reattached: true } })
      const answer = yield* follow(taskId)
      if (Either.isLeft(answer)) return yield* answer.left
      if (answer.right.value.output.task_status === "UNKNOWN") {
        yield* Effect.logWarning(`recorded batch task ${taskId} is UNKNOWN (expired or lost); submitting again`)
        yield* job.abandoned(`task ${taskId} is UNKNOWN`)
        return Option.none()
      }
      const transcript = yield* conclude(a, own.fileUrl, { taskId, answer: answer.right, submitRaw: undefined }).pipe(
        Effect.either
      )
      // a file that failed in its old batch is submitted again, in a new one; its batch stays for the others
      if (Either.isLeft(transcript) && transcript.left.reason === "TaskFailed") return Option.none()
      return Option.some(yield* transcript)
    })

  /** 2. The file URL to submit: the item's URL, a recorded upload still valid, or a new upload. */
  const stage = (a: Attempt) =>
    Effect.gen(function*() {
      if (!a.item.isLocal) return a.item.source
      const journal = yield* TaskJournal.forItem(a.item)
      const model = a.request.model
      const now = yield* Clock.currentTimeMillis
      const upload = Option.getOrUndefined(yield* journal.upload)
      if (
        upload !== undefined && upload.model === model && upload.fileUrl.startsWith("oss://") &&
        TempUpload.isUsable(upload.expiresAt, now)
      ) return upload.fileUrl
      const bytes = yield* InFlightAudio.take(a.item)
      const staged = yield* stager.stage(a.item.source, {
        model,
        mime: QwenRequest.mimeOf(a.item),
        input: a.item.id,
        bytes
      })
        .pipe(PhaseSpan.phase("stage"))
      yield* journal.recordUpload({ model, fileUrl: staged.fileUrl }, staged.expiresAt)
      yield* RunEvents.emit("staged", a.item.id, {
        durationMs: (yield* Clock.currentTimeMillis) - now,
        data: { file_url: staged.fileUrl, bytes: staged.bytes }
      })
      return staged.fileUrl
    })

  const attemptFor = (item: AudioItem) =>
    Effect.map(BatchJournal.current, (ledger): Attempt => {
      const request = FunAsrRequest.effectiveRequest(config, item)
      return { item, request, warnings: FunAsrRequest.warningsFor(request), ledger }
    })

  /** 3. Joins a batch; `submit` mode returns once the batch's submit was accepted. */
  const run = (item: AudioItem, mode: "wait" | "submit"): Effect.Effect<Transcript, TranscriptionError> =>
    Effect.gen(function*() {
      const a = yield* attemptFor(item)
      const resumed = yield* resume(a)
      if (Option.isSome(resumed)) return resumed.value
      const fileUrl = yield* stage(a)
      const submitted = yield* Deferred.make<FunAsrBatches.Submitted, TranscriptionError>()
      const joined = yield* Effect.fork(
        batcher.submit(FunAsrRequest.batchKey(a.request), {
          item,
          request: a.request,
          fileUrl,
          ledger: a.ledger,
          submitted
        })
      )
      const accepted = yield* Deferred.await(submitted)
      yield* RunEvents.emit("submitted", item.id, {
        data: { task_id: accepted.taskId, model: a.request.model, batch_files: accepted.batchSize }
      })
      if (mode === "submit") {
        return new Transcript({
          text: "",
          model: a.request.model,
          provider,
          status: "PENDING",
          taskId: accepted.taskId,
          warnings: a.warnings,
          raw: accepted.raw ?? null
        })
      }
      const outcome = yield* Fiber.join(joined)
      return yield* conclude(a, fileUrl, outcome)
    }).pipe(
      Effect.annotateLogs({ item: item.id }),
      PhaseSpan.traced("FunAsrTranscriber.transcribe", { item: item.id })
    )

  /** A task submitted elsewhere (or earlier): the item's file is found by its recorded or own URL. */
  const attach = (remoteId: string, item: AudioItem): Effect.Effect<Transcript, TranscriptionError> =>
    Effect.gen(function*() {
      const a = yield* attemptFor(item)
      const job = Option.getOrUndefined(yield* BatchJournal.jobOf(a.ledger, remoteId))
      const answer = yield* follow(remoteId)
      if (Either.isLeft(answer)) return yield* answer.left
      const results = FunAsrResult.fileResults(answer.right.raw)
      const fileUrl = job?.files.find((file) => file.fingerprint === item.fingerprint)?.fileUrl ??
        (results.length === 1 ? results[0]!.file_url : item.source)
      return yield* conclude(a, fileUrl, { taskId: remoteId, answer: answer.right, submitRaw: undefined })
    }).pipe(Effect.annotateLogs({ item: item.id }), Effect.withSpan("FunAsrTranscriber.attach"))

  const plan = (item: AudioItem) => {
    const request = FunAsrRequest.effectiveRequest(config, item)
    const capability = FunAsrModels.lookup(request.model)
    const seconds = item.durationMs === undefined ? undefined : Math.ceil(item.durationMs / 1000)
    const billed = seconds === undefined ? undefined : seconds * (request.channel_id?.length ?? 1)
    return {
      route: "async-batch",
      model: request.model,
      estimatedSeconds: billed,
      estimatedCost: capability === undefined || billed === undefined
        ? undefined
        : FunAsrModels.estimateCost(capability, config.region, billed),
      price: capability === undefined ? undefined : FunAsrModels.pricePerSecond(capability, config.region),
      warnings: FunAsrRequest.warningsFor(request)
    }
  }

  return {
    provider,
    transcribe: (item: AudioItem) => run(item, "wait"),
    submit: (item: AudioItem) => run(item, "submit"),
    attach,
    plan,
    requestKey: (item: AudioItem) => FunAsrRequest.requestKey(config, item)
  } satisfies Transcriber.Service
})
