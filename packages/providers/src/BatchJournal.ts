/**
 * What the Fun-ASR/Paraformer transcriber writes to the run ledger about its batches, in the ledger's
 * provider-neutral terms: a batch is one job of provider `funasr` owning all its items, begun *before* the submit
 * is sent (the submit intent; state: the model, the batch key and each item's file URL) and given the task id as
 * soon as it is known. A re-run finds an item's batch through the item, re-attaches to its task, and picks the
 * item's own file out of the task's results by its URL. (Staged uploads are the items' `upload` stages, shared
 * with qwen: `TaskJournal`.)
 *
 * The JSON state is this provider's own, decoded with `BatchState`; a state that does not decode is treated as
 * absent. Without a ledger (a library call) or fingerprints, nothing is written or read back.
 *
 * @since 0.2.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import { Ledger } from "@asrflow/core/Ledger"
import type { JobRecord, JobStatus } from "@asrflow/core/Ledger"
import { Effect, Option, Schema } from "effect"

/**
 * The provider name batches are recorded under.
 *
 * @since 0.2.0
 * @category constants
 */
export const provider = "funasr"

/**
 * The JSON state of a batch job.
 *
 * @since 0.2.0
 * @category schemas
 */
export const BatchState = Schema.Struct({
  model: Schema.String,
  batchKey: Schema.String,
  files: Schema.Array(Schema.Struct({ fingerprint: Schema.String, fileUrl: Schema.String }))
})

/**
 * @since 0.2.0
 * @category schemas
 */
export type BatchState = typeof BatchState.Type

const decodeState = Schema.decodeUnknownOption(BatchState)

/**
 * The ledger a request was made under (captured in the item's own fiber), if any.
 *
 * @since 0.2.0
 * @category models
 */
export type LedgerOption = Option.Option<Ledger.Service>

/**
 * What the transcriber does with a batch once it has begun.
 *
 * @since 0.2.0
 * @category models
 */
export interface JobHandle {
  readonly jobId: string | undefined
  /** The submit was accepted: records the task id before anything else happens. */
  readonly submitted: (taskId: string) => Effect.Effect<void>
  /** The whole batch was refused or lost: its items fail; a re-run submits them again. */
  readonly failed: (message: string) => Effect.Effect<void>
  /** The batch will not be re-attached (its task is gone, or was never found); its items go on. */
  readonly abandoned: (message: string) => Effect.Effect<void>
}

/**
 * A batch read back from the ledger.
 *
 * @since 0.2.0
 * @category models
 */
export interface Job extends BatchState, JobHandle {
  readonly jobId: string
  readonly status: JobStatus
  readonly remoteId: string | null
  readonly createdAt: number
  readonly submittedAt: number | null
}

const noHandle: JobHandle = {
  jobId: undefined,
  submitted: () => Effect.void,
  failed: () => Effect.void,
  abandoned: () => Effect.void
}

const handle = (ledger: Ledger.Service, record: Pick<JobRecord, "jobId" | "items">): JobHandle => ({
  jobId: record.jobId,
  submitted: (taskId) => ledger.jobSubmitted(record.jobId, taskId),
  failed: (message) =>
    Effect.zipRight(
      ledger.endJob(record.jobId, "failed", message),
      Effect.forEach(record.items, (item) => ledger.markFailed(item.fingerprint, item.itemId, message), {
        discard: true
      })
    ),
  abandoned: (message) => ledger.endJob(record.jobId, "failed", message)
})

const jobFrom = (ledger: Ledger.Service, record: JobRecord): Option.Option<Job> =>
  Option.map(decodeState(record.state), (state) => ({
    ...state,
    ...handle(ledger, record),
    jobId: record.jobId,
    status: record.status,
    remoteId: record.remoteId,
    createdAt: record.createdAt,
    submittedAt: record.submittedAt
  }))

/**
 * The ledger in the environment (call it in the item's fiber).
 *
 * @since 0.2.0
 * @category constructors
 */
export const current: Effect.Effect<LedgerOption> = Effect.serviceOption(Ledger)

/**
 * The newest batch an item belongs to, if the ledger knows one.
 *
 * @since 0.2.0
 * @category constructors
 */
export const latestJob = (ledger: LedgerOption, item: AudioItem): Effect.Effect<Option.Option<Job>> =>
  Option.isNone(ledger) || item.fingerprint === undefined
    ? Effect.succeedNone
    : Effect.map(ledger.value.latestJob(item.fingerprint, provider), Option.flatMap((r) => jobFrom(ledger.value, r)))

/**
 * The batch that owns a task id, if the ledger knows it.
 *
 * @since 0.2.0
 * @category constructors
 */
export const jobOf = (ledger: LedgerOption, taskId: string): Effect.Effect<Option.Option<Job>> =>
  Option.isNone(ledger)
    ? Effect.succeedNone
    : Effect.map(ledger.value.jobByRemoteId(provider, taskId), Option.flatMap((r) => jobFrom(ledger.value, r)))

/**
 * The submit intent of a batch: a new job in `submitting`, owning every item with a fingerprint, written before
 * the submit is sent.
 *
 * @since 0.2.0
 * @category constructors
 */
export const begin = (
  ledger: LedgerOption,
  batch: {
    readonly model: string
    readonly batchKey: string
    readonly files: ReadonlyArray<{ readonly item: AudioItem; readonly fileUrl: string }>
  }
): Effect.Effect<JobHandle> => {
  const owned = batch.files.flatMap(({ fileUrl, item }) =>
    item.fingerprint === undefined ? [] : [{ fingerprint: item.fingerprint, itemId: item.id, fileUrl }]
  )
  if (Option.isNone(ledger) || owned.length === 0) return Effect.succeed(noHandle)
  const state: BatchState = {
    model: batch.model,
    batchKey: batch.batchKey,
    files: owned.map(({ fileUrl, fingerprint }) => ({ fingerprint, fileUrl }))
  }
  return Effect.map(
    ledger.value.beginJob({
      provider,
      items: owned.map(({ fingerprint, itemId }) => ({ fingerprint, itemId })),
      state
    }),
    (record) => handle(ledger.value, record)
  )
}

/**
 * Task ids that other open batches own: never candidates when matching a lost submit.
 *
 * @since 0.2.0
 * @category constructors
 */
export const othersTasks = (ledger: LedgerOption, jobId: string | undefined): Effect.Effect<ReadonlySet<string>> =>
  Option.isNone(ledger) ? Effect.succeed(new Set()) : Effect.map(
    ledger.value.openJobs(provider),
    (jobs) => new Set(jobs.filter((job) => job.remoteId !== null && job.jobId !== jobId).map((job) => job.remoteId!))
  )
