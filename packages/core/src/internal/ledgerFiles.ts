/**
 * The ledger's memory of local files' content hashes, keyed by path and checked by size, mtime and inode:
 * a re-run over 100,000 unchanged files skips them without reading them again (docs/ARCHITECTURE.md,
 * "The ledger").
 *
 * @since 0.2.0
 */
import { SqlClient } from "@effect/sql"
import { Clock, Effect, Option } from "effect"
import type { FileStamp } from "../LedgerRecords.js"

/**
 * The two queries, over the edge's `SqlClient`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient

  /** The hash recorded for the file, if its size, mtime and inode are still those it was hashed with. */
  const knownHash = (stamp: FileStamp): Effect.Effect<Option.Option<string>> =>
    sql`SELECT size_bytes, mtime_ms, inode, sha256 FROM asrflow_files WHERE path = ${stamp.path}`.pipe(
      Effect.map((rows) => {
        const row = rows[0]
        return row !== undefined && Number(row.size_bytes) === stamp.sizeBytes &&
            Number(row.mtime_ms) === stamp.mtimeMs && String(row.inode) === stamp.inode
          ? Option.some(String(row.sha256))
          : Option.none()
      }),
      Effect.orDie
    )

  const rememberHash = (stamp: FileStamp, sha256: string): Effect.Effect<void> =>
    Effect.flatMap(Clock.currentTimeMillis, (updatedAt) =>
      sql`INSERT INTO asrflow_files ${
        sql.insert({
          path: stamp.path,
          size_bytes: stamp.sizeBytes,
          mtime_ms: stamp.mtimeMs,
          inode: stamp.inode,
          sha256,
          updated_at: updatedAt
        })
      } ON CONFLICT (path) DO UPDATE SET size_bytes = ${stamp.sizeBytes}, mtime_ms = ${stamp.mtimeMs},
        inode = ${stamp.inode}, sha256 = ${sha256}, updated_at = ${updatedAt}`).pipe(Effect.asVoid, Effect.orDie)

  return { knownHash, rememberHash } as const
})

/**
 * The table: one row per local file path.
 *
 * @since 0.2.0
 * @category migrations
 */
export const createFiles = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS asrflow_files (
    path TEXT PRIMARY KEY,
    size_bytes BIGINT NOT NULL,
    mtime_ms DOUBLE PRECISION NOT NULL,
    inode TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  )`
})
