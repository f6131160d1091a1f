/**
 * The ledger on PostgreSQL (`--ledger postgres://…`, `ASRFLOW_LEDGER_URL`, or the pipeline's `ledger:`),
 * loaded only when a URL is given: the same migrations and queries as the SQLite file, rate lanes kept in
 * the database (one budget for every worker), and, for a named run (`--run NAME`), the work table this
 * worker claims its items from, with every ledger write fenced by the item's lease.
 *
 * @since 0.2.0
 */
import { LaneStore, Ledger, OutputCheck, SharedRun, SqlLaneStore, WorkQueue } from "@asrflow/core"
import type { PipelineConfig } from "@asrflow/core"
import { PgClient } from "@effect/sql-pg"
import { Cause, Context, Effect, Layer, Redacted } from "effect"
import * as os from "node:os"

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  readonly url: Redacted.Redacted<string>
  readonly registries: PipelineConfig.Registries
  /** Joins this run (`--run NAME`): items are planned into, and claimed from, its work table. */
  readonly runName?: string | undefined
  /** How long a claim lasts without a heartbeat before another worker may take the item over. */
  readonly leaseMs: number
}

/**
 * The URL as it may be shown: without its password (or any query parameter, which may hold one).
 *
 * @since 0.2.0
 * @category utils
 */
export const display = (url: Redacted.Redacted<string>): string => {
  try {
    const parsed = new URL(Redacted.value(url))
    return `${parsed.protocol}//${parsed.username === "" ? "" : `${parsed.username}@`}${parsed.host}${parsed.pathname}`
  } catch {
    return "(a PostgreSQL URL that does not parse)"
  }
}

const messageOf = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined
  return inner ?? (error instanceof Error ? error.message : String(error))
}

/**
 * A worker's id: its host, process and a random part (a process id is reused across reboots).
 *
 * @since 0.2.0
 * @category utils
 */
export const workerId = (): string => `${os.hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`

const unusable = (url: Redacted.Redacted<string>) => (cause: Cause.Cause<unknown>) =>
  Cause.squash(cause) instanceof OutputCheck.OutputRootError ? Layer.failCause(cause) : Layer.fail(
    new OutputCheck.OutputRootError({
      path: display(url),
      reason: "Ledger",
      description: `the ledger ${display(url)} cannot be opened (${
        messageOf(cause)
      }); check the URL, that PostgreSQL is running, and that its user may create tables`
    })
  )

/**
 * A connection pool on the ledger's database; a database that cannot be reached is one `OutputRootError`
 * that names it without its password.
 *
 * @since 0.2.0
 * @category layers
 */
export const client = (url: Redacted.Redacted<string>) =>
  PgClient.layer({ url, applicationName: "asrflow", maxConnections: 8 }).pipe(Layer.catchAllCause(unusable(url)))

/**
 * The ledger, the shared lane store and (for a named run) the work queue, on one connection pool.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<Ledger.Ledger | LaneStore.LaneStore, OutputCheck.OutputRootError> =>
  Layer.scopedContext(Effect.gen(function*() {
    yield* Ledger.migrate(options.registries.providers.components.flatMap((component) => component.migrations ?? []))
    const plain = yield* Ledger.make
    const store = yield* SqlLaneStore.make
    const base = Context.make(LaneStore.LaneStore, store)
    if (options.runName === undefined) return Context.add(base, Ledger.Ledger, plain)
    const queue = yield* WorkQueue.make({ run: options.runName, workerId: workerId(), leaseMs: options.leaseMs })
    yield* queue.register({ host: os.hostname(), pid: process.pid })
    const ledger = yield* SharedRun.fenced(plain).pipe(Effect.provideService(WorkQueue.WorkQueue, queue))
    return Context.add(Context.add(base, Ledger.Ledger, ledger), WorkQueue.WorkQueue, queue)
  })).pipe(
    Layer.provide(client(options.url)),
    Layer.catchAllCause(unusable(options.url))
  ) as Layer.Layer<Ledger.Ledger | LaneStore.LaneStore, OutputCheck.OutputRootError>
