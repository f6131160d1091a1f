/**
 * The run ledger: what was done, and what a provider must remember across a crash (a staged upload,
 * a remote job whose submit may or may not have been accepted), so that a re-run skips finished items
 * and re-attaches to paid work instead of paying for it twice.
 *
 * The tables are provider-neutral:
 * - `asrflow_items`: one row per item fingerprint (status, attempts, last error);
 * - `asrflow_stages`: named per-item facts a provider owns (an upload URL and its expiry, a finished
 *   chunk), with a JSON `state` only that provider reads;
 * - `asrflow_jobs` + `asrflow_job_items`: remote jobs (an async task, a batch of files) that own one or
 *   more items. A job row is written *before* its submit is sent (status `submitting`: the submit
 *   intent), and gets the provider's remote id as soon as it is known (`submitted`).
 *
 * The schema is versioned with `@effect/sql`'s Migrator, and providers may add migrations of their own
 * (`Migrations`), kept in a migrations table per owner. The SQL is plain enough for SQLite (the embedded
 * default) and PostgreSQL. See docs/ARCHITECTURE.md, "The ledger".
 *
 * @since 0.1.0
 */
import { Migrator, SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql"
import { Clock, Context, Effect, Layer, Option, Schema } from "effect"
import * as LedgerSchema from "./internal/ledgerSchema.js"

// =============================================================================
// Records
// =============================================================================

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

// =============================================================================
// Service
// =============================================================================

/**
 * @since 0.1.0
 * @category context
 */
export class Ledger extends Context.Tag("@asrflow/core/Ledger")<Ledger, Ledger.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace Ledger {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly item: (fingerprint: string) => Effect.Effect<Option.Option<ItemRecord>>
    readonly isDone: (fingerprint: string) => Effect.Effect<boolean>
    /**
     * Called once every sink has written the item. A job whose items are then all done ends `done`: it is
     * no longer open, so it is neither cancelled nor re-attached.
     */
    readonly markDone: (fingerprint: string, itemId: string) => Effect.Effect<void>
    readonly markFailed: (fingerprint: string, itemId: string, error: string) => Effect.Effect<void>

    readonly stage: (fingerprint: string, name: string) => Effect.Effect<Option.Option<StageRecord>>
    readonly recordStage: (
      fingerprint: string,
      fields: {
        readonly itemId: string
        readonly name: string
        readonly state: unknown
        readonly expiresAt?: number | undefined
      }
    ) => Effect.Effect<void>
    /** Forgets a stage, e.g. an upload the provider says no longer exists. */
    readonly clearStage: (fingerprint: string, name: string) => Effect.Effect<void>

    /**
     * The submit intent: records a new job in `submitting` before its submit is sent, and counts an
     * attempt for each of its items. If the process dies now, a re-run knows to look for the job.
     */
    readonly beginJob: (fields: {
      readonly provider: string
      readonly items: ReadonlyArray<{ readonly fingerprint: string; readonly itemId: string }>
      readonly state: unknown
    }) => Effect.Effect<JobRecord>
    /** Records the remote id as soon as it is known (before the first poll); `state` replaces the old one. */
    readonly jobSubmitted: (jobId: string, remoteId: string, state?: unknown) => Effect.Effect<void>
    /** A job that ended. A `failed` or `cancelled` job is not re-attached: its items are submitted again. */
    readonly endJob: (
      jobId: string,
      status: "done" | "failed" | "cancelled",
      error?: string | undefined
    ) => Effect.Effect<void>
    /** The newest job of an item with a provider. */
    readonly latestJob: (fingerprint: string, provider: string) => Effect.Effect<Option.Option<JobRecord>>
    readonly jobByRemoteId: (provider: string, remoteId: string) => Effect.Effect<Option.Option<JobRecord>>
    /** Jobs still `submitting` or `submitted`, oldest first (for `asrflow cancel` and resumption). */
    readonly openJobs: (provider?: string | undefined) => Effect.Effect<ReadonlyArray<JobRecord>>
  }
}

// =============================================================================
// Migrations
// =============================================================================

/**
 * Migrations owned by a component (a provider): each owner keeps its own migrations table
 * (`asrflow_migrations_<owner>`), run after the core ones. Keys are `<id>_<name>`, as `Migrator.fromRecord`
 * takes them.
 *
 * @since 0.2.0
 * @category models
 */
export interface Migrations {
  readonly owner: string
  readonly migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>>
}

/**
 * Whether the database holds the single `asrflow_ledger` table of asrflow 0.1, which a provider's own
 * migration may import from (the core migration imports its items).
 *
 * @since 0.2.0
 * @category utils
 */
export const hasLegacyTable: Effect.Effect<boolean, unknown, SqlClient.SqlClient> = LedgerSchema.hasLegacyTable

/**
 * Runs the core migrations, then every owner's.
 *
 * @since 0.2.0
 * @category constructors
 */
export const migrate = (
  owned: ReadonlyArray<Migrations> = []
): Effect.Effect<void, Migrator.MigrationError | SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const run = Migrator.make({})
    yield* run({ loader: Migrator.fromRecord(LedgerSchema.migrations), table: "asrflow_migrations" })
    for (const { migrations, owner } of owned) {
      yield* run({ loader: Migrator.fromRecord(migrations), table: `asrflow_migrations_${owner}` })
    }
  })

// =============================================================================
// Implementation
// =============================================================================

const decodeItem = Schema.decodeUnknownSync(ItemRecord)
const decodeStage = Schema.decodeUnknownSync(StageRecord)
const decodeJob = Schema.decodeUnknownSync(JobRecord)

interface JobRow {
  readonly job_id: string
  readonly provider: string
  readonly status: string
  readonly remote_id: string | null
  readonly state: string
  readonly error: string | null
  readonly created_at: number | bigint | string
  readonly submitted_at: number | bigint | string | null
  readonly updated_at: number | bigint | string
}

// BIGINT columns come back as numbers (SQLite) or strings (PostgreSQL)
const toNumber = (value: number | bigint | string): number => Number(value)
const toNullableNumber = (value: number | bigint | string | null): number | null =>
  value === null ? null : Number(value)

/**
 * A ledger on whatever `SqlClient` the edge provides; it does not migrate (see `migrate` and `layer`).
 * Storage failures are defects: a run that cannot record a paid job must not go on as if it had.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Ledger.Service, never, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const now = Clock.currentTimeMillis

  const upsertItem = (
    fingerprint: string,
    itemId: string,
    fields: { readonly status: ItemStatus; readonly error: string | null }
  ) =>
    Effect.flatMap(
      now,
      (updatedAt) =>
        sql`INSERT INTO asrflow_items ${
          sql.insert({
            fingerprint,
            item_id: itemId,
            status: fields.status,
            error: fields.error,
            updated_at: updatedAt
          })
        }
      ON CONFLICT (fingerprint) DO UPDATE SET item_id = ${itemId}, status = ${fields.status},
        error = ${fields.error}, updated_at = ${updatedAt}`
    ).pipe(Effect.asVoid, Effect.orDie)

  const item = (fingerprint: string) =>
    sql`SELECT * FROM asrflow_items WHERE fingerprint = ${fingerprint}`.pipe(
      Effect.map((rows) =>
        Option.map(Option.fromNullable(rows[0]), (row) =>
          decodeItem({
            fingerprint: row.fingerprint,
            itemId: row.item_id,
            status: row.status,
            attempts: Number(row.attempts),
            error: row.error,
            updatedAt: toNumber(row.updated_at as number)
          }))
      ),
      Effect.orDie
    )

  const stage = (fingerprint: string, name: string) =>
    sql`SELECT * FROM asrflow_stages WHERE fingerprint = ${fingerprint} AND name = ${name}`.pipe(
      Effect.map((rows) =>
        Option.map(Option.fromNullable(rows[0]), (row) =>
          decodeStage({
            fingerprint: row.fingerprint,
            name: row.name,
            itemId: row.item_id,
            state: JSON.parse(String(row.state)),
            expiresAt: toNullableNumber(row.expires_at as number | null),
            updatedAt: toNumber(row.updated_at as number)
          }))
      ),
      Effect.orDie
    )

  const recordStage: Ledger.Service["recordStage"] = (fingerprint, { expiresAt, itemId, name, state }) =>
    Effect.flatMap(now, (updatedAt) => {
      const row = {
        fingerprint,
        name,
        item_id: itemId,
        state: JSON.stringify(state ?? null),
        expires_at: expiresAt ?? null,
        updated_at: updatedAt
      }
      return sql`INSERT INTO asrflow_stages ${sql.insert(row)}
        ON CONFLICT (fingerprint, name) DO UPDATE SET item_id = ${row.item_id}, state = ${row.state},
          expires_at = ${row.expires_at}, updated_at = ${row.updated_at}`
    }).pipe(Effect.asVoid, Effect.orDie)

  const itemsOf = (jobIds: ReadonlyArray<string>) =>
    jobIds.length === 0
      ? Effect.succeed(new Map<string, Array<JobItem>>())
      : sql`SELECT job_id, fingerprint, item_id FROM asrflow_job_items WHERE ${sql.in("job_id", jobIds)}
          ORDER BY item_id`.pipe(
        Effect.map((rows) => {
          const byJob = new Map<string, Array<JobItem>>()
          for (const row of rows) {
            const list = byJob.get(String(row.job_id)) ?? []
            list.push(new JobItem({ fingerprint: String(row.fingerprint), itemId: String(row.item_id) }))
            byJob.set(String(row.job_id), list)
          }
          return byJob
        })
      )

  const jobsFrom = (rows: ReadonlyArray<JobRow>) =>
    Effect.map(itemsOf(rows.map((row) => row.job_id)), (items) =>
      rows.map((row) =>
        decodeJob({
          jobId: row.job_id,
          provider: row.provider,
          status: row.status,
          remoteId: row.remote_id,
          state: JSON.parse(row.state),
          error: row.error,
          items: items.get(row.job_id) ?? [],
          createdAt: toNumber(row.created_at),
          submittedAt: toNullableNumber(row.submitted_at),
          updatedAt: toNumber(row.updated_at)
        })
      ))

  const firstJob = (query: Effect.Effect<ReadonlyArray<JobRow>, SqlError.SqlError>) =>
    query.pipe(
      Effect.flatMap((rows) => jobsFrom(rows.slice(0, 1))),
      Effect.map((jobs) => Option.fromNullable(jobs[0])),
      Effect.orDie
    )

  const beginJob: Ledger.Service["beginJob"] = ({ items, provider, state }) =>
    Effect.gen(function*() {
      const createdAt = yield* now
      const jobId = crypto.randomUUID()
      yield* sql`INSERT INTO asrflow_jobs ${
        sql.insert({
          job_id: jobId,
          provider,
          status: "submitting",
          remote_id: null,
          state: JSON.stringify(state ?? null),
          error: null,
          created_at: createdAt,
          submitted_at: null,
          updated_at: createdAt
        })
      }`
      for (const { fingerprint, itemId } of items) {
        yield* sql`INSERT INTO asrflow_job_items ${sql.insert({ job_id: jobId, fingerprint, item_id: itemId })}`
        yield* sql`INSERT INTO asrflow_items ${
          sql.insert({
            fingerprint,
            item_id: itemId,
            status: "running",
            attempts: 1,
            error: null,
            updated_at: createdAt
          })
        }
          ON CONFLICT (fingerprint) DO UPDATE SET item_id = ${itemId}, status = 'running',
            attempts = asrflow_items.attempts + 1, error = NULL, updated_at = ${createdAt}`
      }
      return new JobRecord({
        jobId,
        provider,
        status: "submitting",
        remoteId: null,
        state: state ?? null,
        error: null,
        items: items.map((entry) => new JobItem(entry)),
        createdAt,
        submittedAt: null,
        updatedAt: createdAt
      })
    }).pipe(sql.withTransaction, Effect.orDie)

  // a job whose items are all done was delivered: it is no longer open (nothing to cancel or re-attach)
  const endDeliveredJobs = (fingerprint: string) =>
    Effect.flatMap(now, (at) =>
      sql`UPDATE asrflow_jobs SET status = 'done', updated_at = ${at}
        WHERE status IN ('submitting', 'submitted')
          AND job_id IN (SELECT job_id FROM asrflow_job_items WHERE fingerprint = ${fingerprint})
          AND NOT EXISTS (
            SELECT 1 FROM asrflow_job_items owned JOIN asrflow_items i ON i.fingerprint = owned.fingerprint
            WHERE owned.job_id = asrflow_jobs.job_id AND i.status <> 'done'
          )`).pipe(Effect.asVoid, Effect.orDie)

  return Ledger.of({
    item,
    isDone: (fingerprint) => Effect.map(item(fingerprint), Option.exists((record) => record.status === "done")),
    markDone: (fingerprint, itemId) =>
      upsertItem(fingerprint, itemId, { status: "done", error: null }).pipe(
        Effect.zipRight(endDeliveredJobs(fingerprint)),
        sql.withTransaction,
        Effect.orDie
      ),
    markFailed: (fingerprint, itemId, error) => upsertItem(fingerprint, itemId, { status: "failed", error }),
    stage,
    recordStage,
    clearStage: (fingerprint, name) =>
      sql`DELETE FROM asrflow_stages WHERE fingerprint = ${fingerprint} AND name = ${name}`.pipe(
        Effect.asVoid,
        Effect.orDie
      ),
    beginJob,
    jobSubmitted: (jobId, remoteId, state) =>
      Effect.flatMap(now, (at) =>
        state === undefined
          ? sql`UPDATE asrflow_jobs SET status = 'submitted', remote_id = ${remoteId}, submitted_at = ${at},
              updated_at = ${at} WHERE job_id = ${jobId}`
          : sql`UPDATE asrflow_jobs SET status = 'submitted', remote_id = ${remoteId}, submitted_at = ${at},
              state = ${JSON.stringify(state)}, updated_at = ${at} WHERE job_id = ${jobId}`).pipe(
          Effect.asVoid,
          Effect.orDie
        ),
    endJob: (jobId, status, error) =>
      Effect.flatMap(
        now,
        (at) =>
          sql`UPDATE asrflow_jobs SET status = ${status}, error = ${error ?? null}, updated_at = ${at}
          WHERE job_id = ${jobId}`
      ).pipe(Effect.asVoid, Effect.orDie),
    latestJob: (fingerprint, provider) =>
      firstJob(
        sql<JobRow>`SELECT j.* FROM asrflow_jobs j JOIN asrflow_job_items i ON i.job_id = j.job_id
          WHERE i.fingerprint = ${fingerprint} AND j.provider = ${provider}
          ORDER BY j.created_at DESC, j.job_id DESC`
      ),
    jobByRemoteId: (provider, remoteId) =>
      firstJob(
        sql<JobRow>`SELECT * FROM asrflow_jobs WHERE provider = ${provider} AND remote_id = ${remoteId}
          ORDER BY created_at DESC`
      ),
    openJobs: (provider) =>
      (provider === undefined
        ? sql<JobRow>`SELECT * FROM asrflow_jobs WHERE status IN ('submitting', 'submitted') ORDER BY created_at`
        : sql<JobRow>`SELECT * FROM asrflow_jobs WHERE status IN ('submitting', 'submitted')
            AND provider = ${provider} ORDER BY created_at`).pipe(Effect.flatMap(jobsFrom), Effect.orDie)
  })
})

/**
 * The ledger over the edge's `SqlClient`, migrated first (core migrations, then `migrations`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  migrations: ReadonlyArray<Migrations> = []
): Layer.Layer<Ledger, Migrator.MigrationError | SqlError.SqlError, SqlClient.SqlClient> =>
  Layer.effect(Ledger, Effect.zipRight(migrate(migrations), make))
