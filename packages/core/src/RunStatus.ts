/**
 * What the ledger knows about runs shared by workers, for `asrflow status` and `asrflow report`: items by
 * state, the workers with their last heartbeat, the oldest lease, each rate lane's shared state, and the
 * finished items with what they produced (so that the JSONL and the summary are complete whoever did the
 * work).
 *
 * @since 0.2.0
 */
import { SqlClient } from "@effect/sql"
import { Effect, Option, Schema } from "effect"
import { AudioItem } from "./AudioItem.js"
import { State } from "./LaneState.js"
import { Failed, FailurePhase, Transcribed, Transcript } from "./Transcript.js"
import type { TranscriptResult } from "./Transcript.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface WorkerStatus {
  readonly worker: string
  readonly host: string
  readonly pid: number
  readonly heartbeatAt: number
  readonly endedAt: number | null
  /** Heard from within the lease, and not ended. */
  readonly alive: boolean
}

/**
 * @since 0.2.0
 * @category models
 */
export interface RunState {
  readonly run: string
  readonly items: { readonly pending: number; readonly leased: number; readonly done: number; readonly failed: number }
  readonly workers: ReadonlyArray<WorkerStatus>
  /** The lease that ends first: the item most at risk of being taken over. */
  readonly oldestLease: { readonly item: string; readonly worker: string; readonly leaseUntil: number } | null
}

/**
 * @since 0.2.0
 * @category models
 */
export interface LaneStatus {
  readonly lane: string
  readonly requestsPerMinute: number
  readonly ceilingPerMinute: number | null
  readonly starts: number
  readonly throttled: number
  readonly updatedAt: number
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Status {
  readonly runs: ReadonlyArray<RunState>
  readonly lanes: ReadonlyArray<LaneStatus>
}

const decodeItem = Schema.decodeUnknownSync(Schema.parseJson(AudioItem))
const decodeTranscript = Schema.decodeUnknownSync(Transcript)
const decodeLane = Schema.decodeUnknownOption(Schema.parseJson(State))
const Stored = Schema.parseJson(Schema.Struct({
  transcript: Schema.optional(Schema.Unknown),
  failure: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  skipped: Schema.optional(Schema.Boolean)
}))
const decodeStored = Schema.decodeUnknownOption(Stored)
const decodePhase = Schema.decodeUnknownOption(FailurePhase)

/**
 * The state of one run (or of every run) at `now`; a worker is alive when it was heard from within `leaseMs`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const status = (
  options: { readonly run?: string | undefined; readonly now: number; readonly leaseMs: number }
): Effect.Effect<Status, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const only = options.run === undefined ? sql.literal("") : sql`WHERE run_name = ${options.run}`
    const counts = yield* sql<{ readonly run_name: string; readonly status: string; readonly n: number | string }>`
      SELECT run_name, status, COUNT(*) AS n FROM asrflow_work ${only} GROUP BY run_name, status ORDER BY run_name`
    const workers = yield* sql<Record<string, string | number | null>>`SELECT * FROM asrflow_workers ${only}
      ORDER BY started_at`
    const leases = yield* sql<Record<string, string | number | null>>`SELECT run_name, item, worker_id, lease_until
      FROM asrflow_work WHERE status = 'leased' ${
      options.run === undefined ? sql.literal("") : sql`AND run_name = ${options.run}`
    }
      ORDER BY lease_until`
    const names = [...new Set([...counts.map((row) => row.run_name), ...workers.map((row) => String(row.run_name))])]
    const runs = names.map((run): RunState => {
      const count = (state: string) =>
        Number(counts.find((row) => row.run_name === run && row.status === state)?.n ?? 0)
      const oldest = leases.find((row) => row.run_name === run)
      return {
        run,
        items: { pending: count("pending"), leased: count("leased"), done: count("done"), failed: count("failed") },
        workers: workers.filter((row) => row.run_name === run).map((row) => {
          const heartbeatAt = Number(row.heartbeat_at)
          const endedAt = row.ended_at === null ? null : Number(row.ended_at)
          return {
            worker: String(row.worker_id),
            host: String(row.host),
            pid: Number(row.pid),
            heartbeatAt,
            endedAt,
            alive: endedAt === null && options.now - heartbeatAt <= options.leaseMs
          }
        }),
        oldestLease: oldest === undefined ? null : {
          item: decodeItem(String(oldest.item)).id,
          worker: String(oldest.worker_id),
          leaseUntil: Number(oldest.lease_until)
        }
      }
    })
    const lanes = (yield* sql<{ readonly lane: string; readonly state: string; readonly updated_at: number | string }>`
      SELECT lane, state, updated_at FROM asrflow_lane_states ORDER BY lane`).flatMap((row) =>
      Option.match(decodeLane(row.state), {
        onNone: () => [],
        onSome: (state): Array<LaneStatus> => [{
          // the account part of the id is a hash; people read the rest
          lane: row.lane.split("|").filter((_, index) => index !== 1).join(" "),
          requestsPerMinute: Math.round(state.rate * 10) / 10,
          ceilingPerMinute: state.ceiling === null ? null : Math.round(state.ceiling * 10) / 10,
          starts: state.starts,
          throttled: state.throttled,
          updatedAt: Number(row.updated_at)
        }]
      })
    )
    return { runs, lanes }
  }).pipe(Effect.orDie)

/**
 * A finished item of a run, rebuilt from the work table as the sinks saw it; `pending` items (not finished,
 * or finished by an earlier run and skipped) carry no result.
 *
 * @since 0.2.0
 * @category models
 */
export interface ItemOutcome {
  readonly item: AudioItem
  readonly status: "pending" | "leased" | "done" | "failed"
  readonly worker: string | null
  readonly result: TranscriptResult | undefined
}

/**
 * Every item of a run, in planning order.
 *
 * @since 0.2.0
 * @category constructors
 */
export const outcomes = (run: string): Effect.Effect<ReadonlyArray<ItemOutcome>, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, string | number | null>>`SELECT item, status, worker_id, result, error
      FROM asrflow_work WHERE run_name = ${run} ORDER BY seq, fingerprint`
    return rows.map((row): ItemOutcome => {
      const item = decodeItem(String(row.item))
      const stored = row.result === null ? Option.none() : decodeStored(String(row.result))
      const result = Option.flatMap(stored, (value): Option.Option<TranscriptResult> => {
        if (value.transcript !== undefined) {
          return Option.some(new Transcribed({ item, transcript: decodeTranscript(value.transcript) }))
        }
        if (value.failure !== undefined) {
          const failure = value.failure
          return Option.some(
            new Failed({
              item,
              phase: Option.getOrElse(decodePhase(failure.phase), () => "transcribe" as const),
              reason: String(failure.reason ?? "Unknown"),
              message: String(failure.message ?? row.error ?? ""),
              ...(typeof failure.requestId === "string" ? { requestId: failure.requestId } : {}),
              ...(typeof failure.taskId === "string" ? { taskId: failure.taskId } : {})
            })
          )
        }
        return Option.none()
      })
      return {
        item,
        status: String(row.status) as ItemOutcome["status"],
        worker: row.worker_id === null ? null : String(row.worker_id),
        result: Option.getOrUndefined(result)
      }
    })
  }).pipe(Effect.orDie)
