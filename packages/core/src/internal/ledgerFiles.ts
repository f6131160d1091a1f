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
 * How many remembered files wait to be written together, and for how long at most: a file's row is a cache (a
 * row lost to a crash only means that file is read and hashed again), so it is written behind, a statement for
 * many files instead of one per file (issue 18: a statement costs a run about 0.1 ms of CPU).
 *
 * @since 0.3.0
 * @category constants
 */
export const filesPerWrite = 64

/**
 * See `filesPerWrite`.
 *
 * @since 0.3.0
 * @category constants
 */
export const writeFilesWithinMs = 2_000

/**
 * The queries, over the edge's `SqlClient`. Remembered files not yet written are written when the scope closes
 * (the ledger's layer), and before any question about files.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient

  // newest row per path, oldest first: written behind (see `filesPerWrite`)
  let pending = new Map<string, Row>()
  let pendingSince = 0
  const writePending: Effect.Effect<void> = Effect.suspend(() => {
    if (pending.size === 0) return Effect.void
    const rows = [...pending.values()]
    pending = new Map()
    return sql`INSERT INTO asrflow_files ${sql.insert(rows)} ON CONFLICT (path) DO UPDATE SET
      size_bytes = excluded.size_bytes, mtime_ms = excluded.mtime_ms, inode = excluded.inode,
      sha256 = excluded.sha256, updated_at = excluded.updated_at, probe = excluded.probe`.pipe(
      Effect.asVoid,
      Effect.orDie
    )
  })
  yield* Effect.addFinalizer(() => writePending)

  /** What is recorded for the file, if its size, mtime and inode are still those it was recorded with. */
  const knownFile = (stamp: FileStamp): Effect.Effect<Option.Option<KnownFile>> =>
    Effect.zipRight(
      writePending,
      sql`SELECT size_bytes, mtime_ms, inode, sha256, probe FROM asrflow_files WHERE path = ${stamp.path}`.pipe(
        Effect.map((rows) => matching(rows[0], stamp)),
        Effect.orDie
      )
    )

  /**
   * `knownFile` for many files, in their order: a statement per `pathsPerStatement` paths instead of one per
   * file (a resumed run asks this for each chunk of its listing).
   */
  const knownFiles = (stamps: ReadonlyArray<FileStamp>): Effect.Effect<ReadonlyArray<KnownFile | undefined>> =>
    Effect.zipRight(
      writePending,
      Effect.map(
        Effect.forEach(
          batches(stamps.map((stamp) => stamp.path)),
          (paths) =>
            sql`SELECT path, size_bytes, mtime_ms, inode, sha256, probe FROM asrflow_files WHERE ${
              sql.in("path", paths)
            }`
        ),
        (results) => {
          const rows = new Map<string, Row>()
          for (const batch of results) for (const row of batch) rows.set(String(row.path), row)
          return stamps.map((stamp) => Option.getOrUndefined(matching(rows.get(stamp.path), stamp)))
        }
      ).pipe(Effect.orDie)
    )

  /** Records the file's hash (and what it is, when known) with its stamp; facts of an older stamp go. */
  const rememberFile = (stamp: FileStamp, sha256: string, facts?: FileFacts | undefined): Effect.Effect<void> =>
    Effect.flatMap(Clock.currentTimeMillis, (updatedAt) => {
      if (pending.size === 0) pendingSince = updatedAt
      pending.delete(stamp.path)
      pending.set(stamp.path, {
        path: stamp.path,
        size_bytes: stamp.sizeBytes,
        mtime_ms: stamp.mtimeMs,
        inode: stamp.inode,
        sha256,
        updated_at: updatedAt,
        probe: facts === undefined ? null : encodeFacts(facts)
      })
      return pending.size >= filesPerWrite || updatedAt - pendingSince >= writeFilesWithinMs
        ? writePending
        : Effect.void
    })

  const remembersFiles: Effect.Effect<boolean> = Effect.zipRight(
    writePending,
    sql`SELECT 1 AS found FROM asrflow_files WHERE probe IS NOT NULL LIMIT 1`.pipe(
      Effect.map((rows) => rows.length > 0),
      Effect.orDie
    )
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
