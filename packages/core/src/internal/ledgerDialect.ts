/**
 * What the ledger's SQL does differently on SQLite (one process, the file in the output root) and on
 * PostgreSQL (many workers sharing one run). Every other statement is plain SQL both engines run.
 *
 * @since 0.2.0
 */
import { SqlClient } from "@effect/sql"
import type { SqlError, Statement } from "@effect/sql"
import { Effect } from "effect"

/** Any number: migrations serialise on it, so that workers starting at once migrate once. */
const migrationLockKey = 7_206_151

/**
 * Whether the ledger runs on PostgreSQL, where several workers may share it.
 *
 * @since 0.2.0
 * @category utils
 */
export const isShared: Effect.Effect<boolean, never, SqlClient.SqlClient> = Effect.map(
  SqlClient.SqlClient,
  (sql) => sql.onDialectOrElse({ pg: () => true, orElse: () => false })
)

/**
 * Locks the selected rows until the transaction ends and passes over rows another worker holds
 * (`FOR UPDATE SKIP LOCKED`). SQLite has one writer at a time, so a plain select is enough there.
 *
 * @since 0.2.0
 * @category fragments
 */
export const skipLocked = (sql: SqlClient.SqlClient): Statement.Fragment =>
  sql.literal(sql.onDialectOrElse({ pg: () => "FOR UPDATE SKIP LOCKED", orElse: () => "" }))

/**
 * Locks the selected rows until the transaction ends (`FOR UPDATE`), waiting for another holder.
 *
 * @since 0.2.0
 * @category fragments
 */
export const forUpdate = (sql: SqlClient.SqlClient): Statement.Fragment =>
  sql.literal(sql.onDialectOrElse({ pg: () => "FOR UPDATE", orElse: () => "" }))

/**
 * Runs `effect` (the migrations) in one transaction that holds an advisory lock on PostgreSQL, so that
 * workers starting together migrate once and do not race on `CREATE TABLE`. The Migrator's own tables are
 * made first in the Migrator's layout: its existence probe would otherwise fail, and abort the transaction.
 *
 * @since 0.2.0
 * @category utils
 */
export const serialised = (migrationTables: ReadonlyArray<string>) =>
<A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | SqlError.SqlError, R | SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.onDialectOrElse({
      pg: () =>
        sql.withTransaction(
          sql`SELECT pg_advisory_xact_lock(${migrationLockKey})`.pipe(
            Effect.zipRight(Effect.forEach(migrationTables, (table) =>
              sql`CREATE TABLE IF NOT EXISTS ${sql(table)} (
                migration_id integer primary key,
                created_at timestamp with time zone not null default now(),
                name text not null
              )`)),
            Effect.zipRight(effect)
          )
        ),
      orElse: () => effect
    }))

/**
 * Whether the database holds the single `asrflow_ledger` table of asrflow 0.1 (only SQLite files were
 * ever written in that layout).
 *
 * @since 0.2.0
 * @category utils
 */
export const hasLegacyTable: Effect.Effect<boolean, unknown, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql.onDialectOrElse({
    sqlite: () =>
      Effect.map(
        sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'asrflow_ledger'`,
        (rows) => rows.length > 0
      ),
    orElse: () => Effect.succeed(false)
  })
})
