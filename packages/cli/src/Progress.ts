/**
 * Where a run's events go besides its run log: the progress a person sees on stderr (a live region on a
 * terminal, plain lines otherwise, governed by `--log-level` and `--quiet`), NDJSON on stdout (`--json`),
 * and a callback (the Promise API's `onEvent`). Every written event is core's `RunEvents.Event`, redacted.
 *
 * @since 0.1.0
 */
import { Redact, RunContext, RunEvents } from "@asrflow/core"
import type { Summary } from "@asrflow/core"
import { RateController } from "@asrflow/core/RateController"
import type { SinkError } from "@asrflow/core/Sink"
import { RunLog } from "@asrflow/sinks"
import type { FileSystem } from "@effect/platform"
import { Path } from "@effect/platform"
import { Clock, Config, Console, Context, Duration, Effect, FiberRef, Layer, LogLevel, Option, Schedule } from "effect"
import * as LaneMetrics from "./LaneMetrics.js"
import * as ProgressState from "./ProgressState.js"
import * as Terminal from "./Terminal.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /**
   * `live`: a region redrawn in place on stderr (a terminal); `lines`: a plain line per finished item
   * (the total included) and one for the skipped ones; `none`: nothing on stderr (a library).
   */
  readonly display: "live" | "lines" | "none"
  /** Colours in the live region (off with `NO_COLOR`). */
  readonly color?: boolean | undefined
  /** Every event as one JSON line on stdout, then the summary event. */
  readonly json?: boolean | undefined
  /** Called with every written event, the summary event last. */
  readonly onEvent?: ((event: RunEvents.Event) => void) | undefined
}

/**
 * What the run's edge tells the progress beyond the events.
 *
 * @since 0.2.0
 * @category context
 */
export class RunProgress extends Context.Tag("@asrflow/cli/RunProgress")<RunProgress, {
  /** The number of items the sources list, once known (they are counted while the run goes on). */
  readonly setTotal: (total: number) => Effect.Effect<void>
  /** The number of items the sources list, when counted already. */
  readonly total: Effect.Effect<number | undefined>
  /** Runs the batch with its stderr lines (logs included) kept above the live region, when there is one. */
  readonly displaying: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** The run's last event: the summary, with the exit code. Prints the pending skipped line first. */
  readonly finish: (summary: Summary.Summary, exitCode: number) => Effect.Effect<void>
}>() {}

/**
 * How a CLI run shows progress: a live region when stderr is a terminal that can redraw (not
 * `TERM=dumb`) and info lines are wanted, plain lines otherwise; colours unless `NO_COLOR` is set.
 *
 * @since 0.2.0
 * @category constructors
 */
export const forTerminal = (options: { readonly json: boolean }): Effect.Effect<Options> =>
  Effect.gen(function*() {
    const level = yield* FiberRef.get(FiberRef.currentMinimumLogLevel)
    const term = yield* Config.option(Config.string("TERM")).pipe(Effect.orElseSucceed(() => Option.none()))
    const noColor = yield* Config.option(Config.string("NO_COLOR")).pipe(Effect.orElseSucceed(() => Option.none()))
    const terminal = process.stderr.isTTY === true && Option.getOrUndefined(term) !== "dumb"
    const live = terminal && LogLevel.lessThanEqual(level, LogLevel.Info)
    return {
      display: live ? "live" : "lines",
      color: live && (Option.isNone(noColor) || noColor.value === ""),
      json: options.json
    }
  })

const relativeTo = (path: Path.Path, cwd: string) => (file: string) => {
  const relative = path.relative(cwd, file)
  return relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? file : relative
}

/**
 * The run's `RunEvents` (the run log plus the chosen destinations) and its `RunProgress`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<
  RunEvents.RunEvents | RunProgress,
  SinkError,
  FileSystem.FileSystem | Path.Path | RunContext.RunContext | RateController
> =>
  Layer.scopedContext(Effect.gen(function*() {
    const log = yield* RunLog.make
    const path = yield* Path.Path
    const run = yield* RunContext.RunContext
    const controller = yield* RateController
    const redactor = yield* Redact.Redactor
    const level = yield* FiberRef.get(FiberRef.currentMinimumLogLevel)
    const shows = (wanted: LogLevel.LogLevel) => LogLevel.greaterThanEqual(wanted, level)
    const state = new ProgressState.State(yield* Clock.currentTimeMillis)
    const display = options.display === "lines" && !shows(LogLevel.Error) ? "none" : options.display
    const shown = relativeTo(path, path.resolve("."))
    const written = (event: RunEvents.Event) =>
      Effect.sync(() => {
        const redacted = redactor.value(event) as RunEvents.Event
        if (options.onEvent !== undefined) options.onEvent(redacted)
        return redacted
      }).pipe(Effect.flatMap((redacted) => options.json === true ? Console.log(JSON.stringify(redacted)) : Effect.void))

    // the line printed, or nothing when there is none or its level is not shown
    const print = (wanted: LogLevel.LogLevel, text: string | undefined): Effect.Effect<void> | undefined =>
      text === undefined || !shows(wanted) ? undefined : Console.error(Terminal.safe(text))
    const flushSkips = display === "lines"
      ? Effect.suspend(() => print(LogLevel.Info, ProgressState.skippedLine(state)) ?? Effect.void)
      : Effect.void

    const region = display === "live" ? yield* Effect.promise(() => import("./StatusRegion.js")) : undefined
    let console: Console.Console | undefined
    if (region !== undefined) {
      const drawn = yield* region.make(process.stderr)
      console = drawn.console
      const paint = ProgressState.style(options.color === true)
      const redraw = Effect.gen(function*() {
        const lanes = yield* LaneMetrics.read(controller)
        const now = yield* Clock.currentTimeMillis
        drawn.draw(ProgressState.frame(state, now, lanes, process.stderr.columns ?? 100, paint))
      })
      // at most 10 frames a second, however many events arrive
      yield* Effect.forkScoped(Effect.repeat(redraw, Schedule.spaced(Duration.millis(100))))
      yield* Effect.addFinalizer(() => redraw)
    }

    // what an event prints, decided in plain code: an item has four to six events, and each step of an effect
    // costs the runtime more than the little this does. Nothing for an event that prints nothing.
    const show = (event: RunEvents.RunEvent, now: number): ReadonlyArray<Effect.Effect<void> | undefined> => {
      // the skipped items seen so far get their one line before the next line shown
      const skips = display === "lines" &&
          (event.phase === "written" || event.phase === "failed" || event.phase === "submitted")
        ? print(LogLevel.Info, ProgressState.skippedLine(state))
        : undefined
      state.add(event, now)
      if (event.phase === "failed") return [skips, print(LogLevel.Error, ProgressState.line(event, state, []))]
      if (display !== "lines") return [skips]
      const outputs = event.phase === "written" && Array.isArray(event.data?.outputs)
        ? (event.data.outputs as ReadonlyArray<string>).map(shown)
        : []
      return [skips, print(LogLevel.Info, ProgressState.line(event, state, outputs))]
    }
    const showing = display === "none" ? undefined : show
    const toEvents = options.json === true || options.onEvent !== undefined
    // one runtime step for an event that only adds a line to the run log's batch and to the display's state
    const onEvent = (event: RunEvents.RunEvent): Effect.Effect<void> =>
      Effect.clockWith((clock) => {
        const after = [
          log.append(event) ? log.flush : undefined,
          toEvents ? written(RunEvents.toItemEvent(run.runId, event)) : undefined,
          ...(showing?.(event, clock.unsafeCurrentTimeMillis()) ?? [])
        ].filter((effect): effect is Effect.Effect<void> => effect !== undefined)
        return after.length === 0 ? Effect.void : after.length === 1 ? after[0] : Effect.all(after, { discard: true })
      })

    const progress = RunProgress.of({
      setTotal: (total) => Effect.sync(() => (state.total = total)),
      total: Effect.sync(() => state.total),
      displaying: (effect) => console === undefined ? effect : Effect.withConsole(effect, console),
      finish: (summary, exitCode) =>
        Effect.zipRight(
          flushSkips,
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            options.json === true || options.onEvent !== undefined
              ? written(RunEvents.toSummaryEvent(summary, exitCode, new Date(now).toISOString()))
              : Effect.void)
        )
    })
    return Context.make(RunEvents.RunEvents, { emit: onEvent, problems: log.problems }).pipe(
      Context.add(RunProgress, progress)
    )
  }))
