/**
 * What the async Qwen transcriber writes to the run ledger about one item, and reads back after a
 * crash, in the ledger's provider-neutral terms:
 * - the staged upload is the item's `upload` stage (state: model and `oss://` URL; expiry: 48 h);
 * - a submit is a job of provider `qwen` owning the item, begun *before* the submit is sent (the submit
 *   intent; state: model and file URL) and given the task id as soon as it is known.
 *
 * The JSON states are this provider's own, decoded with `FileState`; a state that does not decode (a
 * newer layout, a hand edit) is treated as absent. Without a ledger (a library call) or a fingerprint,
 * every write is a no-op and nothing is read back.
 *
 * @since 0.2.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import { Ledger } from "@asrflow/core/Ledger"
import type { JobRecord, JobStatus } from "@asrflow/core/Ledger"
import { Effect, Option, Schema } from "effect"

/**
 * The provider name jobs are recorded under.
 *
 * @since 0.2.0
 * @category constants
 */
export const provider = "qwen"

/**
 * The stage name of a staged upload.
 *
 * @since 0.2.0
 * @category constants
 */
export const uploadStage = "upload"

/**
 * The JSON state of an upload stage and of a job: the model the file was staged or submitted for (an
 * upload is bound to its model), and the file URL (`oss://…` or the item's own URL).
 *
 * @since 0.2.0
 * @category schemas
 */
export const FileState = Schema.Struct({ model: Schema.String, fileUrl: Schema.String })

/**
 * @since 0.2.0
 * @category schemas
 */
export type FileState = typeof FileState.Type

const decodeState = Schema.decodeUnknownOption(FileState)

/**
 * A staged upload read back from the ledger.
 *
 * @since 0.2.0
 * @category models
 */
export interface Upload extends FileState {
  readonly expiresAt: number | null
}

/**
 * What the transcriber does with a job once it has begun.
 *
 * @since 0.2.0
 * @category models
 */
export interface JobHandle {
  /** The submit was accepted: records the task id before anything else happens. */
  readonly submitted: (taskId: string) => Effect.Effect<void>
  /** The job ended without a transcript (refused, FAILED, lost): the item fails; a re-run submits again. */
  readonly failed: (message: string) => Effect.Effect<void>
  /** The job will not be re-attached (its task is gone, or was never found), and the item goes on. */
  readonly abandoned: (message: string) => Effect.Effect<void>
}

/**
 * A job read back from the ledger, with its decoded state.
 *
 * @since 0.2.0
 * @category models
 */
export interface Job extends FileState, JobHandle {
  readonly status: JobStatus
  readonly remoteId: string | null
  readonly createdAt: number
  readonly submittedAt: number | null
}

/**
 * The journal of one item.
 *
 * @since 0.2.0
 * @category models
 */
export interface Journal {
  /** The item's newest job, if any (and if its state decodes). */
  readonly latestJob: Effect.Effect<Option.Option<Job>>
  /** The job that owns a task id, if the ledger knows it. */
  readonly jobOf: (taskId: string) => Effect.Effect<Option.Option<Job>>
  readonly upload: Effect.Effect<Option.Option<Upload>>
  readonly recordUpload: (state: FileState, expiresAt: number) => Effect.Effect<void>
  /** Forgets the recorded upload (the service says it no longer exists), so that the file is uploaded again. */
  readonly clearUpload: Effect.Effect<void>
  /** The submit intent: a new job in `submitting`, written before the submit is sent. */
  readonly begin: (state: FileState) => Effect.Effect<JobHandle>
  readonly markFailed: (message: string) => Effect.Effect<void>
  /** Task ids that open jobs of *other* items own: never candidates when matching a lost submit. */
  readonly othersTasks: Effect.Effect<ReadonlySet<string>>
}

const noHandle: JobHandle = { submitted: () => Effect.void, failed: () => Effect.void, abandoned: () => Effect.void }

const detached: Journal = {
  latestJob: Effect.succeedNone,
  jobOf: () => Effect.succeedNone,
  upload: Effect.succeedNone,
  recordUpload: () => Effect.void,
  clearUpload: Effect.void,
  begin: () => Effect.succeed(noHandle),
  markFailed: () => Effect.void,
  othersTasks: Effect.succeed(new Set())
}

/**
 * The journal of an item: on the ledger in the environment when there is one and the item has a
 * fingerprint, otherwise a journal that remembers nothing.
 *
 * @since 0.2.0
 * @category constructors
 */
export const forItem = (item: AudioItem): Effect.Effect<Journal> =>
  Effect.map(Effect.serviceOption(Ledger), (found) => {
    if (Option.isNone(found) || item.fingerprint === undefined) return detached
    const ledger = found.value
    const fingerprint = item.fingerprint
    const markFailed = (message: string) => ledger.markFailed(fingerprint, item.id, message)

    const handle = (jobId: string): JobHandle => ({
      submitted: (taskId) => ledger.jobSubmitted(jobId, taskId),
      failed: (message) => Effect.zipRight(ledger.endJob(jobId, "failed", message), markFailed(message)),
      abandoned: (message) => ledger.endJob(jobId, "failed", message)
    })

    const jobFrom = (record: JobRecord): Option.Option<Job> =>
      Option.map(decodeState(record.state), (state) => ({
        ...state,
        ...handle(record.jobId),
        status: record.status,
        remoteId: record.remoteId,
        createdAt: record.createdAt,
        submittedAt: record.submittedAt
      }))

    return {
      latestJob: Effect.map(ledger.latestJob(fingerprint, provider), Option.flatMap(jobFrom)),
      jobOf: (taskId) => Effect.map(ledger.jobByRemoteId(provider, taskId), Option.flatMap(jobFrom)),
      upload: Effect.map(
        ledger.stage(fingerprint, uploadStage),
        Option.flatMap((stage) =>
          Option.map(decodeState(stage.state), (state): Upload => ({ ...state, expiresAt: stage.expiresAt }))
        )
      ),
      recordUpload: (state, expiresAt) =>
        ledger.recordStage(fingerprint, { itemId: item.id, name: uploadStage, state, expiresAt }),
      clearUpload: ledger.clearStage(fingerprint, uploadStage),
      begin: (state) =>
        Effect.map(
          ledger.beginJob({ provider, items: [{ fingerprint, itemId: item.id }], state }),
          (job) => handle(job.jobId)
        ),
      markFailed,
      othersTasks: Effect.map(
        ledger.openJobs(provider),
        (jobs) =>
          new Set(
            jobs.filter((job) => job.remoteId !== null && !job.items.some((owned) => owned.fingerprint === fingerprint))
              .map((job) => job.remoteId!)
          )
      )
    }
  })
