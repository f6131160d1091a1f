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
 *   intent), and gets the provider's remote id as soon as it is known (`submitted`);
 * - `asrflow_runs`: the runs writing in the output root (run id, host, process id), so that a run tells
 *   the temporary files of a live run from those a killed one left.
 * - `asrflow_observations`: measurements a provider learns from across runs (latencies), newest kept.
 * - `asrflow_lanes`: the request rate each rate lane learned, so that the next run starts near it.
 *
 * The schema is versioned with `@effect/sql`'s Migrator, and providers may add migrations of their own
 * (`Migrations`), kept in a migrations table per owner. The SQL is plain enough for SQLite (the embedded
 * default) and PostgreSQL. See docs/ARCHITECTURE.md, "The ledger".
 *
 * @since 0.1.0
 */
import { Migrator, SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql"
import type { Option, Scope } from "effect"
import { Context, Effect, Layer } from "effect"
import * as LedgerDialect from "./internal/ledgerDialect.js"
import * as LedgerFiles from "./internal/ledgerFiles.js"
import * as LedgerJobs from "./internal/ledgerJobs.js"
import * as LedgerSchema from "./internal/ledgerSchema.js"
import * as LedgerSql from "./internal/ledgerSql.js"
import type {
  FileFacts,
  FileStamp,
  ItemRecord,
  JobRecord,
  KnownFile,
  LaneRecord,
  RunRecord,
  StageRecord
} from "./LedgerRecords.js"

export * from "./LedgerRecords.js"

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
    /** Those of the fingerprints whose items are done (a few statements for any number of them). */
    readonly doneAmong: (fingerprints: ReadonlyArray<string>) => Effect.Effect<ReadonlySet<string>>
    /**
     * Called once every sink has written the item. A job whose items are then all done ends `done`: it is
     * no longer open, so it is neither cancelled nor re-attached. That is a second statement, not the same
     * transaction: a job left open by a crash between the two is ended when a ledger next opens (`layer`).
     * The second statement is left out while this ledger has seen no job (none open when it opened, none
     * begun or looked up since): a batch of sync items writes one statement per item.
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
    /** Forgets every stage of an item, so that it starts clean (`--force`). */
    readonly clearStages: (fingerprint: string) => Effect.Effect<void>

    /** Records that a run (this process on this host) writes in the output root from now on. */
    readonly beginRun: (
      run: { readonly runId: string; readonly host: string; readonly pid: number }
    ) => Effect.Effect<void>
    /** The run ended (normally, with an error, or interrupted): it owns no temporary file any more. */
    readonly endRun: (runId: string) => Effect.Effect<void>
    /** Runs not recorded as ended: running now, or killed before they could say so. */
    readonly openRuns: Effect.Effect<ReadonlyArray<RunRecord>>

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

    /**
     * Keeps a measurement a provider learns from across runs (an async queue's latency, say); the newest
     * `observationsKept` of each name stay.
     */
    readonly observe: (provider: string, name: string, state: unknown) => Effect.Effect<void>
    /** The newest measurements of a name, newest first. */
    readonly observations: (provider: string, name: string, limit: number) => Effect.Effect<ReadonlyArray<unknown>>
    /** What an earlier run learned about a rate lane. */
    readonly lane: (lane: string) => Effect.Effect<Option.Option<LaneRecord>>
    /** Remembers what this run learned about a rate lane (replaces the earlier record). */
    readonly recordLane: (record: LaneRecord) => Effect.Effect<void>

    /** The content hash recorded for a local file, if its size, mtime and inode are still the same. */
    readonly knownHash: (stamp: FileStamp) => Effect.Effect<Option.Option<string>>
    /** Records a local file's content hash with the stamp it was computed for. */
    readonly rememberHash: (stamp: FileStamp, sha256: string) => Effect.Effect<void>
    /** The hash and probe facts recorded for a local file, if its size, mtime and inode are still the same. */
    readonly knownFile: (stamp: FileStamp) => Effect.Effect<Option.Option<KnownFile>>
    /** `knownFile` for many files at once, in their order (undefined where nothing matching is recorded). */
    readonly knownFiles: (stamps: ReadonlyArray<FileStamp>) => Effect.Effect<ReadonlyArray<KnownFile | undefined>>
    /** Whether any local file's probe facts are remembered (a first run has none to look up). */
    readonly remembersFiles: Effect.Effect<boolean>
    /**
     * Records a local file's hash, and what the probe found it to be, with the stamp they were read with.
     * Written behind, many files a statement: a crash may lose the last few, which are then read again.
     */
    readonly rememberFile: (stamp: FileStamp, sha256: string, facts?: FileFacts | undefined) => Effect.Effect<void>
  }
}

/**
 * How many measurements of one name `observe` keeps.
 *
 * @since 0.2.0
 * @category utils
 */
export const observationsKept: number = LedgerSql.observationsKept

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
  }).pipe(
    LedgerDialect.serialised(["asrflow_migrations", ...owned.map(({ owner }) => `asrflow_migrations_${owner}`)])
  )

// =============================================================================
// Implementation

/**
 * A ledger on whatever `SqlClient` the edge provides; it does not migrate (see `migrate` and `layer`).
 * Storage failures are defects: a run that cannot record a paid job must not go on as if it had. The files it
 * remembers are written behind, by the time its scope closes at the latest (`rememberFile`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Ledger.Service, never, SqlClient.SqlClient | Scope.Scope> = Effect.map(
  Effect.all([LedgerSql.make, LedgerFiles.make]),
  ([records, files]) => ({ ...records, ...files })
)

/**
 * The ledger over the edge's `SqlClient`, migrated first (core migrations, then `migrations`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  migrations: ReadonlyArray<Migrations> = []
): Layer.Layer<Ledger, Migrator.MigrationError | SqlError.SqlError, SqlClient.SqlClient> =>
  Layer.scoped(
    Ledger,
    // a job delivered just before a crash is ended now (see `markDone`)
    Effect.zipRight(
      Effect.zipRight(
        Effect.zipRight(tune, migrate(migrations)),
        Effect.flatMap(SqlClient.SqlClient, (sql) => LedgerJobs.endDelivered(sql))
      ),
      make
    )
  )

/**
 * SQLite in WAL mode syncs the log at checkpoints rather than at every commit: a killed process loses
 * nothing committed (only a power cut may lose the last commits, never consistency), and a run that
 * records every item does not wait on the disk once per item.
 *
 * The page cache is SQLite's own default, 2 MiB. better-sqlite3 builds SQLite with 16 MiB, and the ledger
 * of a large batch grows into all of it: about 0.8 KB of the process's memory per item until 20,000 items,
 * the largest share of a 100,000-item run's growth (bench/README.md, issue 18). An item touches only its own
 * few rows, and the operating system's file cache keeps the rest a read away.
 */
const tune: Effect.Effect<void, SqlError.SqlError, SqlClient.SqlClient> = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    sql.onDialectOrElse({
      sqlite: () => Effect.asVoid(Effect.zipRight(sql`PRAGMA synchronous = NORMAL`, sql`PRAGMA cache_size = -2000`)),
      orElse: () => Effect.void
    })
)
