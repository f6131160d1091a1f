/**
 * The core ledger's migrations, in order. Each is plain SQL that SQLite and PostgreSQL both run.
 *
 * @since 0.2.0
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import * as LedgerDialect from "./ledgerDialect.js"
import { addFileProbes, createFiles } from "./ledgerFiles.js"

const createTables = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS asrflow_items (
    fingerprint TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    updated_at BIGINT NOT NULL
  )`
  yield* sql`CREATE TABLE IF NOT EXISTS asrflow_stages (
    fingerprint TEXT NOT NULL,
    name TEXT NOT NULL,
    item_id TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (fingerprint, name)
  )`
  yield* sql`CREATE TABLE IF NOT EXISTS asrflow_jobs (
    job_id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    status TEXT NOT NULL,
    remote_id TEXT,
    state TEXT NOT NULL,
    error TEXT,
    created_at BIGINT NOT NULL,
    submitted_at BIGINT,
    updated_at BIGINT NOT NULL
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS asrflow_jobs_by_remote ON asrflow_jobs (provider, remote_id)`
  yield* sql`CREATE INDEX IF NOT EXISTS asrflow_jobs_by_status ON asrflow_jobs (status, created_at)`
  yield* sql`CREATE TABLE IF NOT EXISTS asrflow_job_items (
    job_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (job_id, fingerprint)
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS asrflow_job_items_by_item ON asrflow_job_items (fingerprint)`
})

/**
 * The table of the 0.1 ledger, if this database has one (see `ledgerDialect`).
 *
 * @since 0.2.0
 * @category utils
 */
export const hasLegacyTable: Effect.Effect<boolean, unknown, SqlClient.SqlClient> = LedgerDialect.hasLegacyTable

/**
 * Items of a 0.1 ledger (one `asrflow_ledger` table, keyed by fingerprint): done and failed items keep
 * their status, anything in between is `running`. Provider-specific columns (upload URLs, task ids) are
 * imported by the provider that wrote them, in its own migration. The old table stays, untouched.
 */
const importLegacyItems = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  if (!(yield* hasLegacyTable)) return
  yield* sql`INSERT INTO asrflow_items (fingerprint, item_id, status, attempts, error, updated_at)
    SELECT fingerprint, item_id,
      CASE status WHEN 'done' THEN 'done' WHEN 'failed' THEN 'failed' ELSE 'running' END,
      attempts, error, updated_at
    FROM asrflow_ledger WHERE true
    ON CONFLICT (fingerprint) DO NOTHING`
})

/**
 * The runs that write in the output root, so that a run knows which temporary files belong to a live
 * run and which were left by a killed one (a time guess would delete a slow run's files).
 */
const createRuns = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS asrflow_runs (
    run_id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS asrflow_runs_open ON asrflow_runs (ended_at)`
})

/**
 * Measurements a provider keeps across runs (e.g. how long its async queue took), newest kept.
 */
const createObservations = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS asrflow_observations (
    provider TEXT NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    observed_at BIGINT NOT NULL
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS asrflow_observations_by_name
    ON asrflow_observations (provider, name, observed_at)`
})

/**
 * One row per rate lane (`RateController`): the rate and estimated limit it learned. `state` is left for a
 * store that keeps the whole lane state in the database (JSON), shared by several workers.
 */
const createLanes = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS asrflow_lanes (
    lane TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    model TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    requests_per_minute DOUBLE PRECISION NOT NULL,
    ceiling_per_minute DOUBLE PRECISION,
    state TEXT,
    updated_at BIGINT NOT NULL
  )`
})

/**
 * A run shared by workers (docs/ARCHITECTURE.md, Many machines): one row per item of a named run, claimed
 * with a lease (`lease_token`, `lease_until`) that fences every state change; the workers with their
 * heartbeats; and each rate lane's whole state, so that workers share one budget.
 */
const createWork = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS asrflow_work (
    run_name TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    seq BIGINT NOT NULL,
    item TEXT NOT NULL,
    status TEXT NOT NULL,
    worker_id TEXT,
    lease_token TEXT,
    lease_until BIGINT,
    claims INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    error TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (run_name, fingerprint)
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS asrflow_work_by_status ON asrflow_work (run_name, status, seq)`
  yield* sql`CREATE TABLE IF NOT EXISTS asrflow_workers (
    worker_id TEXT PRIMARY KEY,
    run_name TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    ended_at BIGINT
  )`
  yield* sql`CREATE TABLE IF NOT EXISTS asrflow_lane_states (
    lane TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  )`
})

/**
 * @since 0.2.0
 * @category migrations
 */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "1_tables": createTables,
  "2_import_legacy_items": importLegacyItems,
  "3_runs": createRuns,
  "4_observations": createObservations,
  "5_lanes": createLanes,
  "6_work": createWork,
  "7_files": createFiles,
  "8_file_probes": addFileProbes
}
