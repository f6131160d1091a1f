/**
 * The records of the run ledger (see `Ledger`): items, stages and remote jobs.
 *
 * @since 0.2.0
 */
import { Schema } from "effect"
import { Container } from "./AudioItem.js"

/**
 * @since 0.1.0
 * @category models
 */
export const ItemStatus = Schema.Literal("running", "done", "failed")

/**
 * @since 0.1.0
 * @category models
 */
export type ItemStatus = typeof ItemStatus.Type

/**
 * One item, keyed by its fingerprint (audio sha256 or URL, plus the request hash and output key).
 *
 * @since 0.2.0
 * @category models
 */
export class ItemRecord extends Schema.Class<ItemRecord>("LedgerItem")({
  fingerprint: Schema.String,
  itemId: Schema.String,
  status: ItemStatus,
  /** How many times a paid request (a submit) was started for the item. */
  attempts: Schema.Number,
  error: Schema.NullOr(Schema.String),
  updatedAt: Schema.Number
}) {}

/**
 * A named fact about an item that its provider must remember (e.g. `upload`: the staged URL), with the
 * time it stops being usable, if any.
 *
 * @since 0.2.0
 * @category models
 */
export class StageRecord extends Schema.Class<StageRecord>("LedgerStage")({
  fingerprint: Schema.String,
  name: Schema.String,
  itemId: Schema.String,
  state: Schema.Unknown,
  expiresAt: Schema.NullOr(Schema.Number),
  updatedAt: Schema.Number
}) {}

/**
 * `submitting`: the submit may have been sent, its outcome is unknown until a remote id is recorded.
 *
 * @since 0.2.0
 * @category models
 */
export const JobStatus = Schema.Literal("submitting", "submitted", "done", "failed", "cancelled")

/**
 * @since 0.2.0
 * @category models
 */
export type JobStatus = typeof JobStatus.Type

/**
 * An item a remote job owns.
 *
 * @since 0.2.0
 * @category models
 */
export class JobItem extends Schema.Class<JobItem>("LedgerJobItem")({
  fingerprint: Schema.String,
  itemId: Schema.String
}) {}

/**
 * A remote job: one submit to a provider, owning one or more items.
 *
 * @since 0.2.0
 * @category models
 */
export class JobRecord extends Schema.Class<JobRecord>("LedgerJob")({
  /** asrflow's own id for the job, made before the submit is sent. */
  jobId: Schema.String,
  provider: Schema.String,
  status: JobStatus,
  /** The provider's id for the job (a task id), once the submit was accepted. */
  remoteId: Schema.NullOr(Schema.String),
  /** Provider-owned JSON (the model, the submitted URLs, …). */
  state: Schema.Unknown,
  error: Schema.NullOr(Schema.String),
  items: Schema.Array(JobItem),
  createdAt: Schema.Number,
  submittedAt: Schema.NullOr(Schema.Number),
  updatedAt: Schema.Number
}) {
  /**
   * Waiting on the provider (or on a submit whose outcome is unknown).
   *
   * @since 0.2.0
   */
  get isOpen(): boolean {
    return this.status === "submitting" || this.status === "submitted"
  }
}

/**
 * What a run learned about one rate lane (account × region × model × endpoint), so that the next run
 * starts near it. The account is a hash of the key, never the key.
 *
 * @since 0.2.0
 * @category models
 */
export class LaneRecord extends Schema.Class<LaneRecord>("LedgerLane")({
  lane: Schema.String,
  provider: Schema.String,
  account: Schema.String,
  region: Schema.String,
  model: Schema.String,
  endpoint: Schema.String,
  requestsPerMinute: Schema.Number,
  /** The limit the lane estimated from throttled requests, if it saw any. */
  ceilingPerMinute: Schema.NullOr(Schema.Number),
  updatedAt: Schema.Number
}) {}

// =============================================================================
// Service

/**
 * A run that wrote (or writes) in the output root: which process on which host. A run whose `endedAt` is
 * null is still going, unless its process is gone (it was killed); the files it left half-written (its
 * temporary files) are then removed by the next run.
 *
 * @since 0.2.0
 * @category models
 */
export class RunRecord extends Schema.Class<RunRecord>("LedgerRun")({
  runId: Schema.String,
  host: Schema.String,
  pid: Schema.Number,
  startedAt: Schema.Number,
  endedAt: Schema.NullOr(Schema.Number)
}) {}

/**
 * What a local file's content hash is checked against: when its size, mtime and inode are unchanged, the
 * hash recorded with them is reused instead of reading the file again.
 *
 * @since 0.2.0
 * @category models
 */
export interface FileStamp {
  readonly path: string
  readonly sizeBytes: number
  readonly mtimeMs: number
  /** The inode as text: it may not fit in a double, and PostgreSQL has no unsigned 64-bit type. */
  readonly inode: string
}

/**
 * What the probe found a local file to be, remembered with its stamp and hash: while the stamp is unchanged,
 * a resumed run knows the item (and so its ledger key) without opening the file.
 *
 * @since 0.3.0
 * @category models
 */
export const FileFacts = Schema.Struct({
  container: Container,
  mime: Schema.optional(Schema.String),
  durationMs: Schema.optional(Schema.Number)
})

/**
 * @since 0.3.0
 * @category models
 */
export type FileFacts = typeof FileFacts.Type

/**
 * A local file as the ledger remembers it: its content hash and, when it was probed, what it is.
 *
 * @since 0.3.0
 * @category models
 */
export interface KnownFile {
  readonly sha256: string
  readonly facts: FileFacts | undefined
}
