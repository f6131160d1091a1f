/**
 * What a run prints for people on stderr once it ends, and the levels that govern it: failures are
 * errors, the summary prints at every level but `none`, and `--quiet` keeps only failures and the
 * summary (the level `error`). The summary ends with the estimated cost and, when something is
 * unfinished, the command that resumes the run.
 *
 * @since 0.2.0
 */
import type { Summary } from "@asrflow/core"
import { Console, Effect, FiberRef, Logger, LogLevel } from "effect"
import * as Terminal from "./Terminal.js"

/**
 * Runs a command at the level `--quiet` asks for (only failures and the summary), else at the level
 * `--log-level` set.
 *
 * @since 0.2.0
 * @category combinators
 */
export const governed = <A, E, R>(quiet: boolean, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  quiet ? Logger.withMinimumLogLevel(effect, LogLevel.Error) : effect

/**
 * Prints a line on stderr when `level` is shown at the current minimum log level.
 *
 * @since 0.2.0
 * @category utils
 */
export const say = (level: LogLevel.LogLevel, text: string): Effect.Effect<void> =>
  Effect.flatMap(
    FiberRef.get(FiberRef.currentMinimumLogLevel),
    (minimum) => LogLevel.greaterThanEqual(level, minimum) ? Console.error(Terminal.safe(text)) : Effect.void
  )

// the summary is shown at every level but `none`
const always = LogLevel.Fatal

const seconds = (value: number) => `${Math.round(value * 10) / 10} s`

const quote = (arg: string) => /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`

/**
 * The command that runs the same thing again: what the ledger has done is skipped, and async tasks
 * already submitted are picked up, not submitted again.
 *
 * @since 0.2.0
 * @category utils
 */
export const resumeCommand = (args: ReadonlyArray<string>): string => {
  const command = ["asrflow", ...args].map(quote).join(" ")
  return args.includes("-") ? `${command} < (the same pipeline file)` : command
}

/**
 * The estimated cost: one amount per currency with the date of its price, or why there is none.
 *
 * @since 0.2.0
 * @category utils
 */
export const cost = (summary: Summary.Summary): string =>
  summary.estimated_cost.length === 0
    ? summary.billed_seconds > 0 ? "estimated cost: n/a (the provider's capability table has no price)" : ""
    : `estimated cost ${
      summary.estimated_cost.map((entry) =>
        `${entry.amount.toFixed(entry.amount >= 1 ? 2 : 6)} ${entry.currency} (prices of ${entry.price_date})`
      ).join(" + ")
    }, ${summary.billed_seconds} s billed`

/**
 * Prints a finished run's summary on stderr: failures, problems, counts, where the outputs are, the
 * cost, and how to resume when something is unfinished.
 *
 * @since 0.2.0
 * @category utils
 */
export const summary = (
  summary: Summary.Summary,
  outputRoot: string,
  summaryFile: string,
  listed?: number | undefined
) =>
  Effect.gen(function*() {
    for (const failure of summary.failures) {
      yield* say(LogLevel.Error, `  failed  ${failure.item}  (${failure.phase}) ${failure.message}`)
    }
    // the summary keeps the first failures only (its memory stays flat); the run log has every one
    if (summary.failed > summary.failures.length) {
      yield* say(
        LogLevel.Error,
        `  … and ${summary.failed - summary.failures.length} more failed: every failure is in the run log`
      )
    }
    for (const error of summary.errors) yield* say(LogLevel.Error, `asrflow: error: ${error}`)
    if (summary.aborted !== undefined) yield* say(LogLevel.Error, `asrflow: ${summary.aborted}`)
    yield* say(
      always,
      `asrflow: ${summary.done} done, ${summary.failed} failed, ${summary.skipped} skipped of ${summary.total} item(s)` +
        ` · ${seconds(summary.audio_seconds)} of audio · ${summary.billed_seconds} s billed · ${
          seconds(summary.elapsed_ms / 1000)
        } elapsed${summary.second_round > 0 ? ` · ${summary.second_round} needed a second round` : ""}`
    )
    yield* say(always, `asrflow: outputs in ${outputRoot} (summary: ${summaryFile})`)
    const priced = cost(summary)
    if (priced !== "") yield* say(always, `asrflow: ${priced}`)
    if (summary.stopped !== undefined) {
      const left = listed === undefined ? undefined : listed - summary.total
      yield* say(
        always,
        `asrflow: stopped by ${summary.stopped}: ${left === undefined ? "" : `${left} item(s) not finished; `}` +
          "async tasks already submitted are recorded in the ledger and are picked up again, not submitted again"
      )
    }
    if (summary.stopped !== undefined || summary.failed > 0 || summary.aborted !== undefined) {
      yield* say(always, `asrflow: to resume: ${resumeCommand(process.argv.slice(2))}`)
    }
  })
