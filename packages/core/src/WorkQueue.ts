/**
 * The work table of a run shared by many workers (docs/ARCHITECTURE.md, Many machines). Every worker
 * that joins a named run plans its sources into `asrflow_work` (one row per item fingerprint, inserted
 * once whoever plans it), then claims small batches of rows with `FOR UPDATE SKIP LOCKED`. A claim is a
 * lease: a token, and a time it ends unless the worker's heartbeat extends it. Every state change of a
 * claimed item is fenced by its token, so a worker that lost its lease (paused, cut off) cannot
 * overwrite the work of the worker that took the item over once the lease expired.
 *
 * @since 0.2.0
 */
import { SqlClient, SqlError } from "@effect/sql"
import { Clock, Context, Effect, Schema } from "effect"
import { AudioItem } from "./AudioItem.js"
import * as LedgerDialect from "./internal/ledgerDialect.js"

/**
 * A state change of an item whose lease this worker no longer holds: the item belongs to another worker
 * now. It is raised as a defect inside the ledger write and caught where the item is worked on.
 *
 * @since 0.2.0
 * @category errors
 */
export class LeaseLost extends Schema.TaggedError<LeaseLost>("@asrflow/core/LeaseLost")("LeaseLost", {
  fingerprint: Schema.String
}) {
  override get message(): string {
    return `the lease on item ${this.fingerprint} expired and another worker took it over; this worker's ` +
      "result was not recorded"
  }
}

/**
 * How a claimed item ended.
 *
 * @since 0.2.0
 * @category models
 */
export interface Settled {
  readonly status: "done" | "failed"
  /** What `asrflow report` writes for the item (the transcript, or the failure), as JSON. */
  readonly result: unknown
  readonly error?: string | undefined
}

/**
 * @since 0.2.0
 * @category context
 */
export class WorkQueue extends Context.Tag("@asrflow/core/WorkQueue")<WorkQueue, WorkQueue.Service>() {}

/**
 * @since 0.2.0
 */
export declare namespace WorkQueue {
  /**
   * @since 0.2.0
   * @category models
   */
  export interface Service {
    readonly run: string
    readonly workerId: string
    readonly leaseMs: number
    /** Records this worker (host, process) with a first heartbeat. */
    readonly register: (worker: { readonly host: string; readonly pid: number }) => Effect.Effect<void>
    /** Adds fingerprinted items to the run; items already there are left as they are. Returns how many were new. */
    readonly plan: (items: ReadonlyArray<AudioItem>, firstSeq: number) => Effect.Effect<number>
    /** Leases up to `n` pending items, or items whose lease expired (a dead worker's), oldest planned first. */
    readonly claim: (n: number) => Effect.Effect<ReadonlyArray<AudioItem>>
    /** Extends every lease this worker holds, and its own heartbeat. */
    readonly heartbeat: Effect.Effect<void>
    /** Items of the run not finished yet (pending or leased by anyone). */
    readonly remaining: Effect.Effect<number>
    /** Locks the items' rows for the caller's transaction; dies with `LeaseLost` when this worker lost one. */
    readonly fence: (fingerprints: ReadonlyArray<string>) => Effect.Effect<void>
    /** Whether this worker still holds the item's lease (a read, for writes outside the database). */
    readonly holds: (fingerprint: string) => Effect.Effect<boolean>
    /** Finishes a claimed item, fenced by its lease; dies with `LeaseLost` when the lease was lost. */
    readonly settle: (fingerprint: string, settled: Settled) => Effect.Effect<void>
    /** Runs `effect` in one transaction of the work table's database (a fence and the writes it guards). */
    readonly atomically: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
    /** Gives back the leases this worker still holds (a worker that stops) and records that it ended. */
    readonly release: Effect.Effect<void>
  }
}

const encodeItem = Schema.encodeSync(AudioItem)
const decodeItem = Schema.decodeUnknownSync(Schema.parseJson(AudioItem))

/** Rows per INSERT while planning (well under PostgreSQL's 65,535 parameters). */
const planChunk = 500

/**
 * The work queue of run `run` for worker `workerId`, over the edge's `SqlClient` (migrated by `Ledger`).
 * Storage failures are defects, as in the ledger.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: {
  readonly run: string
  readonly workerId: string
  readonly leaseMs: number
}): Effect.Effect<WorkQueue.Service, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const { leaseMs, run, workerId } = options
    const now = Clock.currentTimeMillis
    /** The token of each lease this worker was granted (a token is never reused). */
    const tokens = new Map<string, string>()

    const plan: WorkQueue.Service["plan"] = (items, firstSeq) =>
      Effect.gen(function*() {
        const at = yield* now
        let inserted = 0
        for (let start = 0; start < items.length; start += planChunk) {
          const rows = items.slice(start, start + planChunk).flatMap((item, index) =>
            item.fingerprint === undefined ? [] : [{
              run_name: run,
              fingerprint: item.fingerprint,
              seq: firstSeq + start + index,
              item: JSON.stringify(encodeItem(item)),
              status: "pending",
              claims: 0,
              updated_at: at
            }]
          )
          if (rows.length === 0) continue
          const added = yield* sql`INSERT INTO asrflow_work ${sql.insert(rows)}
            ON CONFLICT (run_name, fingerprint) DO NOTHING RETURNING fingerprint`
          inserted += added.length
        }
        return inserted
      }).pipe(Effect.orDie)

    const claim: WorkQueue.Service["claim"] = (n) =>
      Effect.gen(function*() {
        const at = yield* now
        const token = crypto.randomUUID()
        // the rows are picked first and updated by key: an UPDATE … IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)
        // may rescan its subquery and take far more than n rows
        const picked = yield* sql<{ readonly fingerprint: string }>`SELECT fingerprint FROM asrflow_work
          WHERE run_name = ${run} AND (status = 'pending' OR (status = 'leased' AND lease_until < ${at}))
          ORDER BY seq LIMIT ${n} ${LedgerDialect.skipLocked(sql)}`
        if (picked.length === 0) return []
        const rows = yield* sql<{ readonly fingerprint: string; readonly item: string }>`UPDATE asrflow_work
          SET status = 'leased', worker_id = ${workerId}, lease_token = ${token}, lease_until = ${at + leaseMs},
            claims = claims + 1, updated_at = ${at}
          WHERE run_name = ${run} AND ${sql.in("fingerprint", picked.map((row) => row.fingerprint))}
          RETURNING fingerprint, item`
        for (const row of rows) tokens.set(row.fingerprint, token)
        return rows.map((row) => decodeItem(row.item))
      }).pipe(sql.withTransaction, Effect.orDie)

    const heartbeat = Effect.gen(function*() {
      const at = yield* now
      yield* sql`UPDATE asrflow_work SET lease_until = ${at + leaseMs}
        WHERE run_name = ${run} AND worker_id = ${workerId} AND status = 'leased'`
      yield* sql`UPDATE asrflow_workers SET heartbeat_at = ${at} WHERE worker_id = ${workerId}`
    }).pipe(Effect.orDie)

    const held = (fingerprint: string, lock: boolean) =>
      Effect.suspend(() => {
        const token = tokens.get(fingerprint)
        if (token === undefined) return Effect.succeed(true) // not a claimed item: nothing to fence
        return Effect.map(
          sql`SELECT fingerprint FROM asrflow_work WHERE run_name = ${run} AND fingerprint = ${fingerprint}
            AND lease_token = ${token} AND status = 'leased' ${lock ? LedgerDialect.forUpdate(sql) : sql.literal("")}`,
          (rows) => rows.length > 0
        )
      }).pipe(Effect.orDie)

    const fence: WorkQueue.Service["fence"] = (fingerprints) =>
      Effect.forEach(fingerprints, (fingerprint) =>
        Effect.flatMap(held(fingerprint, true), (ok) =>
          ok ? Effect.void : Effect.die(new LeaseLost({ fingerprint }))), {
        discard: true
      })

    const settle: WorkQueue.Service["settle"] = (fingerprint, settled) =>
      Effect.gen(function*() {
        const token = tokens.get(fingerprint)
        if (token === undefined) {
          return
        }
        const at = yield* now
        const rows = yield* sql`UPDATE asrflow_work SET status = ${settled.status},
            result = ${JSON.stringify(settled.result ?? null)}, error = ${settled.error ?? null},
            lease_until = NULL, updated_at = ${at}
          WHERE run_name = ${run} AND fingerprint = ${fingerprint} AND lease_token = ${token} AND status = 'leased'
          RETURNING fingerprint`.pipe(Effect.orDie)
        tokens.delete(fingerprint)
        if (rows.length === 0) {
          return yield* Effect.die(new LeaseLost({ fingerprint }))
        }
      })

    return WorkQueue.of({
      run,
      workerId,
      leaseMs,
      register: ({ host, pid }) =>
        Effect.flatMap(now, (at) =>
          sql`INSERT INTO asrflow_workers ${
            sql.insert({
              worker_id: workerId,
              run_name: run,
              host,
              pid,
              started_at: at,
              heartbeat_at: at,
              ended_at: null
            })
          }`).pipe(Effect.asVoid, Effect.orDie),
      plan,
      claim,
      heartbeat,
      remaining: sql<{ readonly n: number | string }>`SELECT COUNT(*) AS n FROM asrflow_work
        WHERE run_name = ${run} AND status IN ('pending', 'leased')`.pipe(
        Effect.map((rows) =>
          Number(rows[0]?.n ?? 0)
        ),
        Effect.orDie
      ),
      fence,
      holds: (fingerprint) => held(fingerprint, false),
      settle,
      atomically: (effect) =>
        sql.withTransaction(effect).pipe(
          Effect.catchIf((error): error is SqlError.SqlError => error instanceof SqlError.SqlError, Effect.die)
        ) as Effect.Effect<Effect.Effect.Success<typeof effect>, Effect.Effect.Error<typeof effect>, never>,
      release: Effect.gen(function*() {
        const at = yield* now
        yield* sql`UPDATE asrflow_work SET status = 'pending', worker_id = NULL, lease_token = NULL,
            lease_until = NULL, updated_at = ${at}
          WHERE run_name = ${run} AND worker_id = ${workerId} AND status = 'leased'`
        yield* sql`UPDATE asrflow_workers SET ended_at = ${at}, heartbeat_at = ${at} WHERE worker_id = ${workerId}`
        tokens.clear()
      }).pipe(Effect.orDie)
    })
  })
