/**
 * The ledger's memory of local files, keyed by path and checked by size, mtime and inode: their content
 * hashes and what the probe found them to be, so a re-run over 100,000 unchanged files skips them without
 * reading them again (docs/ARCHITECTURE.md, "The ledger").
 *
 * @since 0.2.0
 */
import { SqlClient } from "@effect/sql"
import { Clock, Effect, Option, Schema } from "effect"
import { FileFacts } from "../LedgerRecords.js"
import type { FileStamp, KnownFile } from "../LedgerRecords.js"

// a row written by another version, or by hand, is not trusted: the file is then probed again
const decodeFacts = Schema.decodeUnknownOption(Schema.parseJson(FileFacts))
const encodeFacts = Schema.encodeSync(Schema.parseJson(FileFacts))

type Row = Readonly<Record<string, unknown>>

/** The row's hash and facts, if it was recorded with this very stamp. */
const matching = (row: Row | undefined, stamp: FileStamp): Option.Option<KnownFile> => {
  if (
    row === undefined || Number(row.size_bytes) !== stamp.sizeBytes || Number(row.mtime_ms) !== stamp.mtimeMs ||
    String(row.inode) !== stamp.inode
  ) return Option.none()
  const facts = typeof row.probe === "string" ? Option.getOrUndefined(decodeFacts(row.probe)) : undefined
  return Option.some({ sha256: String(row.sha256), facts })
}

/**
 * The most values one statement binds: far below SQLite's and PostgreSQL's limits on bound parameters.
 *
 * @since 0.3.0
 * @category constants
 */
export const pathsPerStatement = 500

/**
 * Values cut into statements of at most `pathsPerStatement`.
 *
 * @since 0.3.0
 * @category utils
 */
export const batches = <A>(values: ReadonlyArray<A>): ReadonlyArray<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let start = 0; start < values.length; start += pathsPerStatement) {
    out.push(values.slice(start, start + pathsPerStatement))
  }
  return out
}

/**
 * The queries, over the edge's `SqlClient`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient

  /** What is recorded for the file, if its size, mtime and inode are still those it was recorded with. */
  const knownFile = (stamp: FileStamp): Effect.Effect<Option.Option<KnownFile>> =>
    sql`SELECT size_bytes, mtime_ms, inode, sha256, probe FROM asrflow_files WHERE path = ${stamp.path}`.pipe(
      Effect.map((rows) => matching(rows[0], stamp)),
      Effect.orDie
    )

  /**
   * `knownFile` for many files, in their order: a statement per `pathsPerStatement` paths instead of one per
   * file (a resumed run asks this for each chunk of its listing).
   */
  const knownFiles = (stamps: ReadonlyArray<FileStamp>): Effect.Effect<ReadonlyArray<KnownFile | undefined>> =>
    Effect.map(
      Effect.forEach(
        batches(stamps.map((stamp) => stamp.path)),
        (paths) =>
          sql`SELECT path, size_bytes, mtime_ms, inode, sha256, probe FROM asrflow_files WHERE ${sql.in("path", paths)}`
      ),
      (results) => {
        const rows = new Map<string, Row>()
        for (const batch of results) for (const row of batch) rows.set(String(row.path), row)
        return stamps.map((stamp) => Option.getOrUndefined(matching(rows.get(stamp.path), stamp)))
      }
    ).pipe(Effect.orDie)

  /** Records the file's hash (and what it is, when known) with its stamp; facts of an older stamp go. */
  const rememberFile = (stamp: FileStamp, sha256: string, facts?: FileFacts | undefined): Effect.Effect<void> =>
    Effect.flatMap(Clock.currentTimeMillis, (updatedAt) => {
      const probe = facts === undefined ? null : encodeFacts(facts)
      return sql`INSERT INTO asrflow_files ${
        sql.insert({
          path: stamp.path,
          size_bytes: stamp.sizeBytes,
          mtime_ms: stamp.mtimeMs,
          inode: stamp.inode,
          sha256,
          updated_at: updatedAt,
          probe
        })
      } ON CONFLICT (path) DO UPDATE SET size_bytes = ${stamp.sizeBytes}, mtime_ms = ${stamp.mtimeMs},
        inode = ${stamp.inode}, sha256 = ${sha256}, updated_at = ${updatedAt}, probe = ${probe}`
    }).pipe(Effect.asVoid, Effect.orDie)

  const remembersFiles: Effect.Effect<boolean> =
    sql`SELECT 1 AS found FROM asrflow_files WHERE probe IS NOT NULL LIMIT 1`.pipe(
      Effect.map((rows) => rows.length > 0),
      Effect.orDie
    )

  return {
    knownFile,
    knownFiles,
    remembersFiles,
    rememberFile,
    knownHash: (stamp: FileStamp) => Effect.map(knownFile(stamp), Option.map((known) => known.sha256)),
    rememberHash: (stamp: FileStamp, sha256: string) => rememberFile(stamp, sha256)
  } as const
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

/**
 * What the probe found, as JSON (`FileFacts`); empty for a row written before this column existed.
 *
 * @since 0.3.0
 * @category migrations
 */
export const addFileProbes = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE asrflow_files ADD COLUMN probe TEXT`
})
