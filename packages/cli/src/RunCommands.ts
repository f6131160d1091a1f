/**
 * `asrflow status` and `asrflow report`: what the PostgreSQL ledger knows about the runs workers share.
 * Loaded only when one of them runs (the PostgreSQL driver stays out of every other command).
 *
 * @since 0.2.0
 */
import { RunStatus } from "@asrflow/core"
import { AtomicFile, JsonlSink } from "@asrflow/sinks"
import { Path } from "@effect/platform"
import { Clock, Console, Effect, Option } from "effect"
import type { Redacted } from "effect"
import { CliExit } from "./CliExit.js"
import * as PgLedger from "./PgLedger.js"
import * as PipelineRun from "./PipelineRun.js"
import * as Terminal from "./Terminal.js"

const ledgerOf = (flag: Option.Option<Redacted.Redacted<string>>) =>
  Effect.flatMap(PipelineRun.ledgerUrl(Option.getOrUndefined(flag), undefined), (url) =>
    url === undefined
      ? new CliExit({
        code: 2,
        message: "asrflow: give the shared ledger with --ledger postgres://… (or set ASRFLOW_LEDGER_URL)"
      })
      : Effect.succeed(url))

const ago = (now: number, at: number) => `${Math.max(0, Math.round((now - at) / 1000))} s ago`

const human = (status: RunStatus.Status, now: number): string => {
  const lines: Array<string> = []
  if (status.runs.length === 0) lines.push("no shared run in this ledger")
  for (const run of status.runs) {
    const { done, failed, leased, pending } = run.items
    lines.push(`run ${run.run}: ${done} done, ${failed} failed, ${leased} leased, ${pending} pending`)
    for (const worker of run.workers) {
      const state = worker.endedAt !== null ? "ended" : worker.alive ? "alive" : "silent"
      lines.push(`  worker ${worker.worker}  ${state}  last heartbeat ${ago(now, worker.heartbeatAt)}`)
    }
    if (run.oldestLease !== null) {
      const left = Math.round((run.oldestLease.leaseUntil - now) / 1000)
      lines.push(
        `  oldest lease: ${run.oldestLease.item} (${run.oldestLease.worker}) ${
          left >= 0 ? `ends in ${left} s` : `expired ${-left} s ago`
        }`
      )
    }
  }
  if (status.lanes.length > 0) lines.push("lanes:")
  for (const lane of status.lanes) {
    lines.push(
      `  ${lane.lane}  ${lane.requestsPerMinute} requests/min` +
        `${lane.ceilingPerMinute === null ? "" : ` (limit ~${lane.ceilingPerMinute})`}` +
        `  ${lane.starts} starts, ${lane.throttled} throttled`
    )
  }
  return lines.map(Terminal.safe).join("\n")
}

/**
 * `asrflow status --ledger URL [--run NAME] [--json]`.
 *
 * @since 0.2.0
 * @category commands
 */
export const status = (options: {
  readonly ledger: Option.Option<Redacted.Redacted<string>>
  readonly runName: Option.Option<string>
  readonly json: boolean
}) =>
  Effect.gen(function*() {
    const url = yield* ledgerOf(options.ledger)
    const now = yield* Clock.currentTimeMillis
    const found = yield* RunStatus.status({
      run: Option.getOrUndefined(options.runName),
      now,
      leaseMs: PipelineRun.defaultLeaseSeconds * 1000
    }).pipe(Effect.provide(PgLedger.client(url)))
    yield* Console.log(options.json ? JSON.stringify({ at: now, ...found }, null, 2) : human(found, now))
  })

/**
 * `asrflow report --ledger URL --run NAME [--output-dir DIR]`: the run's JSONL (one line per item, as the
 * `jsonl` sink writes it) and its summary, from the ledger, whichever workers did the work.
 *
 * @since 0.2.0
 * @category commands
 */
export const report = (options: {
  readonly ledger: Option.Option<Redacted.Redacted<string>>
  readonly runName: string
  readonly outputDir: Option.Option<string>
}) =>
  Effect.gen(function*() {
    const url = yield* ledgerOf(options.ledger)
    const path = yield* Path.Path
    const outcomes = yield* RunStatus.outcomes(options.runName).pipe(Effect.provide(PgLedger.client(url)))
    if (outcomes.length === 0) {
      return yield* new CliExit({ code: 2, message: `asrflow: the ledger has no run named ${options.runName}` })
    }
    const lines = outcomes.flatMap((outcome) =>
      outcome.result === undefined ? [] : [JSON.stringify(JsonlSink.line(outcome.result))]
    )
    const count = (status: RunStatus.ItemOutcome["status"]) => outcomes.filter((o) => o.status === status).length
    const byWorker: Record<string, number> = {}
    for (const outcome of outcomes) {
      if (outcome.status === "done" && outcome.worker !== null) {
        byWorker[outcome.worker] = (byWorker[outcome.worker] ?? 0) + 1
      }
    }
    const transcribed = outcomes.flatMap((o) => o.result?._tag === "Transcribed" ? [o.result] : [])
    const unfinished = count("pending") + count("leased")
    const summary = {
      run: options.runName,
      total: outcomes.length,
      done: count("done"),
      failed: count("failed"),
      unfinished,
      audio_seconds: Math.round(transcribed.reduce((sum, r) => sum + (r.item.durationMs ?? 0), 0) / 100) / 10,
      billed_seconds: transcribed.reduce((sum, r) => sum + (r.transcript.usageSeconds ?? 0), 0),
      done_by_worker: byWorker,
      exit_code: count("failed") > 0 || unfinished > 0 ? 1 : 0
    }
    const dir = path.resolve(Option.getOrElse(options.outputDir, () => "."))
    const jsonl = path.join(dir, `${options.runName}.jsonl`)
    const summaryFile = path.join(dir, `${options.runName}.summary.json`)
    yield* AtomicFile.writeFileAtomic("report", jsonl, lines.length === 0 ? "" : `${lines.join("\n")}\n`)
    yield* AtomicFile.writeFileAtomic("report", summaryFile, `${JSON.stringify(summary, null, 2)}\n`)
    yield* Console.error(
      `asrflow: run ${options.runName}: ${summary.done} done, ${summary.failed} failed, ${unfinished} unfinished ` +
        `of ${summary.total} · ${jsonl} · ${summaryFile}`
    )
    if (summary.exit_code !== 0) return yield* new CliExit({ code: summary.exit_code })
  })
