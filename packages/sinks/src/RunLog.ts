/**
 * The run log, `runs/<run id>.log.jsonl`: one JSON line per phase per item (planned, probed, staged,
 * submitted, polled, transcribed, written, failed, skipped), with timestamps and durations, in the form
 * of core's `RunEvents.Event`. It is the command log of each run.
 *
 * The file grows while the run goes on (it is a log, so it is appended to rather than renamed into place).
 * Lines are buffered and appended together, every `FLUSH_INTERVAL` or once about `FLUSH_BYTES` wait (a
 * write per line cost several system calls per item), and always when the run asks for its problems (before
 * its summary) and when the log closes (the end of the run, an interrupt). A process killed outright loses at
 * most the lines of the last interval. Lines are whole and never interleave. Everything is redacted. A failing
 * log write never fails the item: it is logged as a warning, and the first such failure becomes one of the
 * run's `problems`, so the summary names the file and the run exits 1.
 *
 * @since 0.1.0
 */
import { Redactor } from "@asrflow/core/Redact"
import { RunContext } from "@asrflow/core/RunContext"
import type { RunEvent } from "@asrflow/core/RunEvents"
import { RunEvents, toItemEvent } from "@asrflow/core/RunEvents"
import { SinkError } from "@asrflow/core/Sink"
import { FileSystem, Path } from "@effect/platform"
import { Duration, Effect, Layer, Ref, Schedule } from "effect"
import type { Context, Scope } from "effect"
import { describe } from "./AtomicFile.js"
import { redactError } from "./ItemSink.js"
import * as OutputLayout from "./OutputLayout.js"

/**
 * The JSON object written for one event: core's `RunEvents.Event` (versioned, snake_case, absent fields
 * left out), the same object `--json` prints.
 *
 * @since 0.1.0
 * @category utils
 */
export const toLine = (runId: string, event: RunEvent): Record<string, unknown> => toItemEvent(runId, event)

/**
 * The absolute path of the run log of the current run.
 *
 * @since 0.1.0
 * @category utils
 */
export const path: Effect.Effect<string, SinkError, Path.Path | RunContext> = Effect.gen(function*() {
  const path = yield* Path.Path
  const run = yield* RunContext
  return yield* OutputLayout.resolveKey({
    path,
    sink: "run-log",
    outputRoot: run.outputRoot,
    dir: OutputLayout.dirs.runs,
    key: run.runId,
    ext: ".log.jsonl"
  })
})

const encoder = new TextEncoder()

/**
 * The longest a line waits in memory before it is appended (what a killed process can lose).
 *
 * @since 0.3.0
 * @category constants
 */
export const FLUSH_INTERVAL: Duration.Duration = Duration.millis(200)

/**
 * How much text (UTF-16 code units, about bytes) waits at most before it is appended.
 *
 * @since 0.3.0
 * @category constants
 */
export const FLUSH_BYTES = 64 * 1024

/**
 * The run log: the `RunEvents` service that appends to it, and the same in plain code for an edge that takes each
 * event in one runtime step (the progress display).
 *
 * @since 0.3.0
 * @category models
 */
export interface RunLog extends Context.Tag.Service<RunEvents> {
  /** Adds the event's line to the waiting batch; true when the batch is full and `flush` should run now. */
  readonly append: (event: RunEvent) => boolean
  /** Appends the waiting lines to the file. */
  readonly flush: Effect.Effect<void>
}

/**
 * Opens the run log (for the life of the scope) and returns the `RunEvents` service that appends to it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<
  RunLog,
  SinkError,
  FileSystem.FileSystem | Path.Path | RunContext | Scope.Scope
> = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const paths = yield* Path.Path
  const run = yield* RunContext
  const redactor = yield* Redactor
  const file = yield* path
  const fail = (reason: SinkError["reason"], description: string, cause: unknown) =>
    redactError(redactor, new SinkError({ sink: "run-log", reason, path: file, description, cause }))
  yield* fs.makeDirectory(paths.dirname(file), { recursive: true }).pipe(
    Effect.mapError((cause) =>
      fail("Open", `cannot create the directory ${paths.dirname(file)}: ${describe(cause)}`, cause)
    )
  )
  const handle = yield* fs.open(file, { flag: "a" }).pipe(
    Effect.mapError((cause) => fail("Open", describe(cause), cause))
  )
  const lock = yield* Effect.makeSemaphore(1)
  const firstFailure = yield* Ref.make<string | undefined>(undefined)
  let waiting: Array<string> = []
  let waitingBytes = 0
  // the lines are taken under the lock, so batches reach the file in the order they were emitted; not
  // interruptible, so a batch is never cut off halfway when the log closes
  const flush: Effect.Effect<void> = lock.withPermits(1)(Effect.suspend(() => {
    if (waiting.length === 0) return Effect.void
    const text = waiting.join("")
    waiting = []
    waitingBytes = 0
    return handle.writeAll(encoder.encode(text))
  })).pipe(
    Effect.catchAll((error) =>
      Ref.update(firstFailure, (first) => first ?? `could not append to the run log ${file}: ${describe(error)}`)
        .pipe(
          Effect.zipRight(Effect.logWarning(`could not append to the run log ${file}: ${describe(error)}`)),
          Effect.annotateLogs({ component: "run-log" })
        )
    ),
    Effect.uninterruptible
  )
  yield* Effect.addFinalizer(() => flush)
  yield* Effect.forkScoped(Effect.repeat(flush, Schedule.spaced(FLUSH_INTERVAL)))
  const append = (event: RunEvent): boolean => {
    const text = `${JSON.stringify(redactor.value(toLine(run.runId, event)))}\n`
    waiting.push(text)
    waitingBytes += text.length
    return waitingBytes >= FLUSH_BYTES
  }
  const emit = (event: RunEvent): Effect.Effect<void> => Effect.suspend(() => append(event) ? flush : Effect.void)
  const problems = Effect.zipRight(
    flush,
    Effect.map(Ref.get(firstFailure), (first) => first === undefined ? [] : [redactor.string(first)])
  )
  return { emit, problems, append, flush }
})

/**
 * The run log as the run's `RunEvents`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RunEvents, SinkError, FileSystem.FileSystem | Path.Path | RunContext> = Layer.scoped(
  RunEvents,
  make
)
