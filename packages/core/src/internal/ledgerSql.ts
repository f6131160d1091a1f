/**
 * The ledger's queries over an `SqlClient`: plain SQL that SQLite and PostgreSQL both run.
 *
 * @since 0.2.0
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql"
import { Clock, Effect, Option, Schema } from "effect"
import type { Ledger } from "../Ledger.js"
import type { ItemStatus } from "../LedgerRecords.js"
import { ItemRecord, JobItem, JobRecord, LaneRecord, RunRecord, StageRecord } from "../LedgerRecords.js"
import { batches } from "./ledgerFiles.js"
import * as LedgerFirstRun from "./ledgerFirstRun.js"
import * as LedgerJobs from "./ledgerJobs.js"

const decodeItem = Schema.decodeUnknownSync(ItemRecord)
const decodeStage = Schema.decodeUnknownSync(StageRecord)
const decodeJob = Schema.decodeUnknownSync(JobRecord)
const decodeRun = Schema.decodeUnknownSync(RunRecord)
const decodeLane = Schema.decodeUnknownSync(LaneRecord)

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

/** How many measurements of one name `observe` keeps. */
export const observationsKept = 100

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
export const make: Effect.Effect<
  Omit<Ledger.Service, "knownHash" | "rememberHash" | "knownFile" | "knownFiles" | "rememberFile" | "remembersFiles">,
  never,
  SqlClient.SqlClient
> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const now = Clock.currentTimeMillis
  // whether an item may have a job: `markDone` ends its item's jobs only then (a batch of sync items has none)
  let seenJobs = (yield* sql`SELECT 1 AS found FROM asrflow_jobs WHERE status IN ('submitting', 'submitted') LIMIT 1`
    .pipe(Effect.orDie)).length > 0
  // a first run asks "done?" of items nobody has done: answered without a statement (`LedgerFirstRun`)
  const firstRun = yield* LedgerFirstRun.make(sql)
  const seeingJobs = <A, E>(self: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      seenJobs = true
      return self
    })

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

  const observe: Ledger.Service["observe"] = (provider, name, state) =>
    Effect.gen(function*() {
      const observedAt = yield* now
      yield* sql`INSERT INTO asrflow_observations ${
        sql.insert({ provider, name, state: JSON.stringify(state ?? null), observed_at: observedAt })
      }`
      // the oldest beyond the newest `observationsKept` go
      yield* sql`DELETE FROM asrflow_observations WHERE provider = ${provider} AND name = ${name}
        AND observed_at < (
          SELECT observed_at FROM asrflow_observations WHERE provider = ${provider} AND name = ${name}
          ORDER BY observed_at DESC LIMIT 1 OFFSET ${observationsKept - 1}
        )`
    }).pipe(sql.withTransaction, Effect.orDie)

  const observations: Ledger.Service["observations"] = (provider, name, limit) =>
    sql`SELECT state FROM asrflow_observations WHERE provider = ${provider} AND name = ${name}
      ORDER BY observed_at DESC LIMIT ${limit}`.pipe(
      Effect.map((rows) => rows.map((row) => JSON.parse(String(row.state)) as unknown)),
      Effect.orDie
    )

  const lane = (key: string) =>
    sql`SELECT * FROM asrflow_lanes WHERE lane = ${key}`.pipe(
      Effect.map((rows) =>
        Option.map(Option.fromNullable(rows[0]), (row) =>
          decodeLane({
            lane: row.lane,
            provider: row.provider,
            account: row.account,
            region: row.region,
            model: row.model,
            endpoint: row.endpoint,
            requestsPerMinute: Number(row.requests_per_minute),
            ceilingPerMinute: row.ceiling_per_minute === null ? null : Number(row.ceiling_per_minute),
            updatedAt: toNumber(row.updated_at as number)
          }))
      ),
      Effect.orDie
    )

  const recordLane = (record: LaneRecord) =>
    sql`INSERT INTO asrflow_lanes ${
      sql.insert({
        lane: record.lane,
        provider: record.provider,
        account: record.account,
        region: record.region,
        model: record.model,
        endpoint: record.endpoint,
        requests_per_minute: record.requestsPerMinute,
        ceiling_per_minute: record.ceilingPerMinute,
        updated_at: record.updatedAt
      })
    }
      ON CONFLICT (lane) DO UPDATE SET requests_per_minute = ${record.requestsPerMinute},
        ceiling_per_minute = ${record.ceilingPerMinute}, updated_at = ${record.updatedAt}`.pipe(
      Effect.asVoid,
      Effect.orDie
    )

  return {
    item,
    lane,
    recordLane,
    // asked once per item of every run: one column, no record decoded
    isDone: (fingerprint) =>
      firstRun.isDone(
        fingerprint,
        sql`SELECT status FROM asrflow_items WHERE fingerprint = ${fingerprint}`.pipe(
          Effect.map((rows) => rows[0]?.status === "done"),
          Effect.orDie
        )
      ),
    // a resumed run asks for a chunk of its listing at once
    doneAmong: (fingerprints) =>
      Effect.forEach(
        batches(fingerprints),
        (batch) => sql`SELECT fingerprint FROM asrflow_items WHERE status = 'done' AND ${sql.in("fingerprint", batch)}`
      ).pipe(
        Effect.map((results) => new Set(results.flatMap((rows) => rows.map((row) => String(row.fingerprint))))),
        Effect.orDie
      ),
    // two statements, not a transaction: the second only derives its jobs' status from the items, and a crash
    // between them is made good when a ledger opens (`LedgerJobs.endDelivered`)
    markDone: (fingerprint, itemId) =>
      Effect.suspend(() => {
        firstRun.marked(fingerprint)
        const done = upsertItem(fingerprint, itemId, { status: "done", error: null })
        return seenJobs ? Effect.zipRight(done, LedgerJobs.endDelivered(sql, fingerprint)) : done
      }),
    markFailed: (fingerprint, itemId, error) => upsertItem(fingerprint, itemId, { status: "failed", error }),
    stage,
    recordStage,
    clearStage: (fingerprint, name) =>
      sql`DELETE FROM asrflow_stages WHERE fingerprint = ${fingerprint} AND name = ${name}`.pipe(
        Effect.asVoid,
        Effect.orDie
      ),
    clearStages: (fingerprint) =>
      sql`DELETE FROM asrflow_stages WHERE fingerprint = ${fingerprint}`.pipe(Effect.asVoid, Effect.orDie),
    beginRun: ({ host, pid, runId }) =>
      Effect.flatMap(
        now,
        (startedAt) =>
          sql`INSERT INTO asrflow_runs ${
            sql.insert({ run_id: runId, host, pid, started_at: startedAt, ended_at: null })
          } ON CONFLICT (run_id) DO UPDATE SET host = ${host}, pid = ${pid}, ended_at = NULL`
      ).pipe(
        Effect.zipRight(Effect.sync(() => firstRun.ownRun(runId, true))),
        Effect.orDie
      ),
    endRun: (runId) =>
      Effect.flatMap(
        now,
        (at) => sql`UPDATE asrflow_runs SET ended_at = ${at} WHERE run_id = ${runId} AND ended_at IS NULL`
      ).pipe(
        Effect.zipRight(Effect.sync(() => firstRun.ownRun(runId, false))),
        Effect.orDie
      ),
    openRuns: sql`SELECT * FROM asrflow_runs WHERE ended_at IS NULL ORDER BY started_at`.pipe(
      Effect.map((rows) =>
        rows.map((row) =>
          decodeRun({
            runId: String(row.run_id),
            host: String(row.host),
            pid: Number(row.pid),
            startedAt: toNumber(row.started_at as number),
            endedAt: toNullableNumber(row.ended_at as number | null)
          })
        )
      ),
      Effect.orDie
    ),
    beginJob: (fields) => seeingJobs(beginJob(fields)),
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
      seeingJobs(firstJob(
        sql<JobRow>`SELECT j.* FROM asrflow_jobs j JOIN asrflow_job_items i ON i.job_id = j.job_id
          WHERE i.fingerprint = ${fingerprint} AND j.provider = ${provider}
          ORDER BY j.created_at DESC, j.job_id DESC`
      )),
    jobByRemoteId: (provider, remoteId) =>
      seeingJobs(firstJob(
        sql<JobRow>`SELECT * FROM asrflow_jobs WHERE provider = ${provider} AND remote_id = ${remoteId}
          ORDER BY created_at DESC`
      )),
    openJobs: (provider) =>
      seeingJobs(
        provider === undefined
          ? sql<JobRow>`SELECT * FROM asrflow_jobs WHERE status IN ('submitting', 'submitted') ORDER BY created_at`
          : sql<JobRow>`SELECT * FROM asrflow_jobs WHERE status IN ('submitting', 'submitted')
            AND provider = ${provider} ORDER BY created_at`
      ).pipe(Effect.flatMap(jobsFrom), Effect.orDie),
    observe,
    observations
  }
})
