/**
 * The async Qwen transcriber (`qwen3-asr-flash-filetrans` and its dated snapshots): stage a local file
 * through the temporary upload, submit a task, record its id, poll it under the run's shared task-query
 * budget, download the result document at once, and map it to the canonical `Transcript`.
 *
 * Crash safety rests on the run ledger (see `TaskJournal`; used when the environment has a ledger and
 * the item a fingerprint):
 * - the upload's `oss://` URL and its 48 h expiry are recorded, so a re-run reuses a still-valid upload;
 * - a job is begun (the submit intent: model, file URL, time) before the submit is sent, and the task id
 *   is recorded right after it is known, before the first poll;
 * - a re-run re-attaches to a recorded task submitted within 24 h instead of submitting again;
 * - when a submit's outcome is unknown (an intent without a task id after a crash, or a connection
 *   dropped after sending), the task is looked for (`SubmitRecovery`) before the item is submitted again;
 * - submits are retried only on failures that prove the request was not accepted.
 *
 * @since 0.1.0
 */
import * as Admission from "@asrflow/core/Admission"
import type { AudioItem } from "@asrflow/core/AudioItem"
import * as InFlightAudio from "@asrflow/core/InFlightAudio"
import * as PhaseSpan from "@asrflow/core/PhaseSpan"
import * as RetryPolicy from "@asrflow/core/RetryPolicy"
import * as RunEvents from "@asrflow/core/RunEvents"
import type { Transcriber } from "@asrflow/core/Transcriber"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import { Evidence, Transcript } from "@asrflow/core/Transcript"
import { Clock, DateTime, Duration, Effect, Either, Option, Ref } from "effect"
import * as DashScopeClient from "./DashScopeClient.js"
import * as DashScopeLanes from "./DashScopeLanes.js"
import * as Errors from "./internal/errors.js"
import type * as Wire from "./internal/schemas.js"
import * as Models from "./Models.js"
import type { QwenConfig } from "./QwenConfig.js"
import * as QwenLongAudio from "./QwenLongAudio.js"
import type { EffectiveRequest } from "./QwenRequest.js"
import * as QwenRequest from "./QwenRequest.js"
import * as ResultDocument from "./ResultDocument.js"
import * as SubmitRecovery from "./SubmitRecovery.js"
import * as TaskJournal from "./TaskJournal.js"
import * as TaskPoller from "./TaskPoller.js"
import * as TempUpload from "./TempUpload.js"

/**
 * Whether a model id is a qwen3 filetrans model (any dated snapshot included).
 *
 * @since 0.1.0
 * @category guards
 */
export const isFiletrans = (model: string): boolean => Models.lookup(model)?.mode === "async"

/**
 * The submit body (docs/PROTOCOL.md §7.1): `input.file_url` and only the documented
 * parameters. One language hint becomes `language`; `enable_words` is sent (true) when
 * `timestamp_granularities` contains `word`.
 */
const toSubmitRequest = (model: string, fileUrl: string, request: EffectiveRequest): Wire.SubmitRequest => {
  const hints = request.language_hints ?? []
  const parameters = {
    ...(request.channel_id !== undefined && request.channel_id.length > 0
      ? { channel_id: [...request.channel_id] }
      : {}),
    ...(hints.length === 1 ? { language: hints[0]! } : {}),
    ...(request.enable_itn !== undefined ? { enable_itn: request.enable_itn } : {}),
    ...(request.timestamp_granularities?.includes("word") ? { enable_words: true } : {})
  }
  return { model, input: { file_url: fileUrl }, ...(Object.keys(parameters).length > 0 ? { parameters } : {}) }
}

/**
 * The async transcriber: `submit` and `attach` are always there.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service extends Transcriber.Service {
  readonly submit: (item: AudioItem) => Effect.Effect<Transcript, TranscriptionError>
  readonly attach: (remoteId: string, item: AudioItem) => Effect.Effect<Transcript, TranscriptionError>
}

/** One item on its way: what every step needs. */
interface Attempt {
  readonly item: AudioItem
  readonly input: string
  readonly model: string
  readonly request: EffectiveRequest
  readonly warnings: ReadonlyArray<string>
  readonly journal: TaskJournal.Journal
}

/** A submit that was accepted (or found by listing, then with the task already followed to its end). */
interface Submitted {
  readonly taskId: string
  readonly raw: unknown
  readonly job: TaskJournal.JobHandle
  readonly finished?: ResultDocument.Finished | undefined
}

/** How long a recorded task may be re-attached to: a task and its result live 24 h. */
const reattachWindowMs = 24 * 3600 * 1000

/**
 * The `Transcriber` for the filetrans models. Build it once per run: it owns the run's task-query budget
 * and upload-policy cache.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(config: QwenConfig) {
  const client = yield* DashScopeClient.DashScopeClient
  const lanes = yield* DashScopeLanes.make(client, config.rate_limit, Models.documentedPerMinute)
  const poller = yield* TaskPoller.make({ retry: config.retry, lane: lanes.query })
  const stager = yield* TempUpload.make({ retry: config.retry, lanes: lanes.policy })
  const provider = client.provider
  const fetchOptions = { timeout: Duration.seconds(config.timeout_secs), retry: config.retry }

  const evidence = (phase: string, body: unknown) =>
    Effect.map(DateTime.now, (now) => new Evidence({ phase, at: DateTime.formatIso(now), body }))

  /**
   * The one poll-and-fetch path: follows a task to its end, then downloads its result if it has one. The
   * item waits on the server now, so its slot in the run goes to another item (`Admission.detach`).
   */
  const follow = (
    taskId: string,
    input: string,
    how: { readonly immediate: boolean; readonly onPoll?: (answer: TaskPoller.TaskAnswer) => Effect.Effect<void> }
  ) =>
    Admission.detach.pipe(
      Effect.zipRight(
        poller.await(taskId, { poll: config.poll, input, ...how }).pipe(
          PhaseSpan.phase("poll", { [PhaseSpan.attributes.taskId]: taskId })
        )
      ),
      Effect.flatMap((answer) =>
        ResultDocument.fetchResult(client, answer, { input, ...fetchOptions }).pipe(
          PhaseSpan.phase("fetch", { [PhaseSpan.attributes.taskId]: taskId })
        )
      )
    )

  // a listed candidate is followed once, however many items look at it
  const followCandidate = yield* Effect.cachedFunction((taskId: string) =>
    Effect.either(follow(taskId, taskId, { immediate: true }))
  )

  const recover = (a: Attempt, fileUrl: string, startedAt: number) =>
    Effect.flatMap(a.journal.othersTasks, (exclude) =>
      SubmitRecovery.recover({
        client,
        retry: config.retry,
        follow: followCandidate,
        exclude,
        model: a.model,
        fileUrl,
        startedAt,
        input: a.input
      }))

  /**
   * Ends an item: a failed, canceled, lost or expired task is final, so the next run submits again.
   * Anything else (a poll timeout, a transport failure) leaves the task recorded for the next run.
   */
  const conclude =
    (a: Attempt, job: TaskJournal.JobHandle, submitRaw: unknown) =>
    (finished: Effect.Effect<ResultDocument.Finished, TranscriptionError>) =>
      finished.pipe(
        Effect.flatMap((done) =>
          ResultDocument.toTranscript(done, {
            model: a.model,
            provider,
            input: a.input,
            warnings: a.warnings,
            submitRaw,
            durationMs: a.item.durationMs
          }).pipe(Effect.tap(() => QwenLongAudio.observeAsync(a.model, done.answer.value.output, a.item.durationMs)))
        ),
        Effect.tapError((error) =>
          error.reason === "TaskFailed" || error.reason === "TaskLost" ? job.failed(error.message) : Effect.void
        )
      )

  const reattach = (a: Attempt, taskId: string) =>
    RunEvents.emit("submitted", a.item.id, { data: { task_id: taskId, model: a.model, reattached: true } }).pipe(
      Effect.zipRight(follow(taskId, a.input, { immediate: true }))
    )

  /** 1. What a previous run left: a task to re-attach to, or a submit whose outcome must be found. */
  const resume = (a: Attempt) =>
    Effect.gen(function*() {
      const job = Option.getOrUndefined(yield* a.journal.latestJob)
      if (job === undefined || (job.status !== "submitting" && job.status !== "submitted")) {
        return Option.none<Transcript>()
      }
      const now = yield* Clock.currentTimeMillis
      const fresh = (since: number | null) => job.model === a.model && since !== null && now - since < reattachWindowMs
      if (job.status === "submitted" && job.remoteId !== null && fresh(job.submittedAt)) {
        const taskId = job.remoteId
        const finished = yield* reattach(a, taskId).pipe(Effect.either)
        if (Either.isLeft(finished) || finished.right.answer.value.output.task_status !== "UNKNOWN") {
          return Option.some(yield* conclude(a, job, undefined)(finished))
        }
        yield* Effect.logWarning(`recorded task ${taskId} is UNKNOWN (expired or lost); submitting again`)
      } else if (job.status === "submitting" && fresh(job.createdAt)) {
        const found = yield* recover(a, job.fileUrl, job.createdAt)
        if (Option.isSome(found)) {
          yield* job.submitted(found.value.taskId)
          yield* RunEvents.emit("submitted", a.item.id, {
            data: { task_id: found.value.taskId, model: a.model, recovered: true }
          })
          return Option.some(yield* conclude(a, job, undefined)(Effect.succeed(found.value.finished)))
        }
      }
      // not resumable: the job is left behind, the item is submitted again
      yield* job.abandoned(`not resumable (${job.status}); submitted again`)
      return Option.none<Transcript>()
    })

  /** 2. The file URL to submit: the item's URL, a recorded upload still valid, or a new upload. */
  const stage = (a: Attempt) =>
    Effect.gen(function*() {
      if (!a.item.isLocal) return a.item.source
      const now = yield* Clock.currentTimeMillis
      const upload = Option.getOrUndefined(yield* a.journal.upload)
      if (
        upload !== undefined && upload.model === a.model && upload.fileUrl.startsWith("oss://") &&
        TempUpload.isUsable(upload.expiresAt, now)
      ) return upload.fileUrl
      const staged = yield* stager.stage(a.item.source, {
        model: a.model,
        mime: QwenRequest.mimeOf(a.item),
        input: a.input,
        bytes: yield* InFlightAudio.take(a.item)
      }).pipe(PhaseSpan.phase("stage"))
      yield* a.journal.recordUpload({ model: a.model, fileUrl: staged.fileUrl }, staged.expiresAt)
      yield* RunEvents.emit("staged", a.item.id, {
        durationMs: (yield* Clock.currentTimeMillis) - now,
        data: { file_url: staged.fileUrl, bytes: staged.bytes }
      })
      return staged.fileUrl
    })

  /** 3. Submits, never blindly twice: a submit whose outcome is unknown is looked for before a resubmit. */
  const submit = (a: Attempt, fileUrl: string, round = 0): Effect.Effect<Submitted, TranscriptionError> =>
    Effect.gen(function*() {
      const lane = yield* lanes.submit(a.model)
      const job = yield* a.journal.begin({ model: a.model, fileUrl })
      const startedAt = yield* Clock.currentTimeMillis
      const outcome = yield* lane.paced(
        client.submitTask(toSubmitRequest(a.model, fileUrl, a.request), {
          input: a.input,
          ossResolve: fileUrl.startsWith("oss://")
        })
      ).pipe(
        Effect.retry({
          schedule: RetryPolicy.toSchedule(config.retry),
          while: (error) => error.isRetryable && SubmitRecovery.isUnaccepted(error)
        }),
        PhaseSpan.phase("submit", { [PhaseSpan.attributes.model]: a.model }),
        Effect.either
      )
      if (outcome._tag === "Right") return { taskId: outcome.right.value.output.task_id, raw: outcome.right.raw, job }
      const error = outcome.left
      if (!SubmitRecovery.isUnknownOutcome(error)) {
        yield* job.failed(error.message)
        return yield* Effect.fail(error)
      }
      yield* Effect.logWarning(`submit outcome unknown (${error.message}); looking for the task before any resubmit`)
      const found = yield* recover(a, fileUrl, startedAt)
      if (Option.isSome(found)) {
        return { taskId: found.value.taskId, raw: undefined, job, finished: found.value.finished }
      }
      // out of rounds: the intent stays open, so the next run looks for the task again
      if (round >= config.retry.attempts) return yield* Effect.fail(error)
      yield* job.abandoned(`submit outcome unknown and no listed task matched: ${error.message}`)
      return yield* submit(a, fileUrl, round + 1)
    })

  const attemptFor = (item: AudioItem, model?: string | undefined) =>
    Effect.gen(function*() {
      const request = QwenRequest.effectiveRequest(config, item)
      const chosen = model ?? QwenRequest.modelFor(request, item, "async")
      if (!isFiletrans(chosen)) {
        return yield* new TranscriptionError({
          provider,
          input: item.id,
          reason: "InvalidRequest",
          description: `async needs a filetrans model (e.g. ${Models.auto.async}), not ${chosen}`
        })
      }
      const journal = yield* TaskJournal.forItem(item)
      return {
        item,
        input: item.id,
        model: chosen,
        request,
        warnings: QwenRequest.asyncWarningsFor(chosen, request),
        journal
      } satisfies Attempt
    })

  const run = (item: AudioItem, mode: "wait" | "submit"): Effect.Effect<Transcript, TranscriptionError> =>
    Effect.gen(function*() {
      const a = yield* attemptFor(item)
      const resumed = yield* resume(a)
      if (Option.isSome(resumed)) return resumed.value
      const fileUrl = yield* stage(a)
      // an upload the service no longer has (lost, or recorded after a reply that was cut off) is
      // forgotten and made once more, instead of failing this item on every run
      const submitted = yield* submit(a, fileUrl).pipe(
        Effect.catchIf(
          (error) => a.item.isLocal && fileUrl.startsWith("oss://") && Errors.isMissingUpload(error),
          (error) =>
            Effect.logWarning(`the uploaded file is gone (${error.description}); uploading it again`).pipe(
              Effect.zipRight(a.journal.clearUpload),
              Effect.zipRight(stage(a)),
              Effect.flatMap((fresh) => submit(a, fresh)),
              // gone again: fail the item, and leave no dead URL for the next run to send
              Effect.tapError((again) => Errors.isMissingUpload(again) ? a.journal.clearUpload : Effect.void)
            )
        )
      )
      const taskId = submitted.taskId
      yield* submitted.job.submitted(taskId)
      yield* RunEvents.emit("submitted", item.id, { data: { task_id: taskId, model: a.model } })
      if (mode === "submit" && submitted.finished === undefined) {
        // the normalized response of a submission: no text yet, the task id and its status
        return new Transcript({
          text: "",
          model: a.model,
          provider,
          status: "PENDING",
          taskId,
          warnings: a.warnings,
          raw: submitted.raw ?? null,
          evidence: submitted.raw === undefined ? [] : [yield* evidence("submit", submitted.raw)]
        })
      }
      // 4. poll, download, map; one "polled" event per status change, not per query
      const lastStatus = yield* Ref.make<string | undefined>(undefined)
      const onPoll = (answer: TaskPoller.TaskAnswer) => {
        const status = answer.value.output.task_status
        return Ref.getAndSet(lastStatus, status).pipe(
          Effect.flatMap((last) =>
            last === status ? Effect.void : RunEvents.emit("polled", item.id, { data: { task_id: taskId, status } })
          )
        )
      }
      const finished = submitted.finished !== undefined
        ? Effect.succeed(submitted.finished)
        : follow(taskId, a.input, { immediate: false, onPoll })
      return yield* conclude(a, submitted.job, submitted.raw)(finished)
    }).pipe(
      Effect.annotateLogs({ item: item.id }),
      PhaseSpan.traced("QwenAsrAsync.transcribe", { item: item.id })
    )

  const attach = (remoteId: string, item: AudioItem): Effect.Effect<Transcript, TranscriptionError> =>
    Effect.gen(function*() {
      const journal = yield* TaskJournal.forItem(item)
      const known = Option.getOrUndefined(yield* journal.jobOf(remoteId))
      const configured = QwenRequest.modelFor(QwenRequest.effectiveRequest(config, item), item, "async")
      const a = yield* attemptFor(item, known?.model ?? (isFiletrans(configured) ? configured : Models.auto.async))
      // a task submitted elsewhere is recorded, so that a re-run finds it
      const job = known ??
        (yield* Effect.tap(journal.begin({ model: a.model, fileUrl: item.source }), (job) => job.submitted(remoteId)))
      return yield* conclude(a, job, undefined)(reattach(a, remoteId))
    }).pipe(Effect.annotateLogs({ item: item.id }), Effect.withSpan("QwenAsrAsync.attach"))

  const plan = (item: AudioItem) => {
    const request = QwenRequest.effectiveRequest(config, item)
    const model = QwenRequest.modelFor(request, item, "async")
    const capability = Models.lookup(model)
    const seconds = item.durationMs === undefined ? undefined : Math.ceil(item.durationMs / 1000)
    const billed = seconds === undefined ? undefined : seconds * (request.channel_id?.length ?? 1)
    return {
      route: "async",
      model,
      estimatedSeconds: billed,
      estimatedCost: capability === undefined || billed === undefined
        ? undefined
        : Models.estimateCost(capability, config.region, billed),
      price: capability === undefined ? undefined : Models.pricePerSecond(capability, config.region),
      warnings: isFiletrans(model)
        ? QwenRequest.asyncWarningsFor(model, request)
        : [`async needs a filetrans model (e.g. ${Models.auto.async}), not ${model}`]
    }
  }

  return {
    provider,
    transcribe: (item: AudioItem) => run(item, "wait"),
    submit: (item: AudioItem) => run(item, "submit"),
    attach,
    plan,
    retry: config.retry,
    requestKey: (item: AudioItem) => QwenRequest.requestKey(config, item)
  } satisfies Service
})
