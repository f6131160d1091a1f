/**
 * The edge of an `asrflow` program: logging to stderr, signals, exit codes, and `runMain`. `bin.ts` runs
 * it with the built-in components; a program that embeds asrflow runs it with registries of its own:
 *
 * ```ts
 * import * as Main from "@asrflow/cli/Main"
 * Main.run({ registries: { ...builtIn, providers: Registry.make(...builtIn.providers.components, myProvider) } })
 * ```
 *
 * Signals: while a run is in its batch, the first SIGINT or SIGTERM asks it to stop gracefully (no new
 * item, requests in flight finish for a few seconds, async tasks stay recorded, the summary is written)
 * and it exits 130 or 143; at any other time the command is interrupted. A second signal exits at once.
 *
 * @since 0.2.0
 */
import * as StopSignal from "@asrflow/core/StopSignal"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { makeRunMain } from "@effect/platform/Runtime"
import { Cause, Effect, Exit, HashMap, Layer, Logger, LogLevel, Option } from "effect"
import * as Cli from "./Cli.js"
import * as CliExit from "./CliExit.js"
import * as NodeDirectoryEntries from "./NodeDirectoryEntries.js"
import * as NodeFileHeads from "./NodeFileHeads.js"
import * as NodeFileStamps from "./NodeFileStamps.js"

// One line per log entry on stderr (stdout stays clean for --json, --print-response and schema output),
// written through the Console, so that a live progress region can keep it above itself.
const stderrLogger = Logger.withConsoleError(Logger.make(({ annotations, logLevel, message }) => {
  const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
  const item = HashMap.get(annotations, "item").pipe(
    Option.map((value) => ` [${String(value)}]`),
    Option.getOrElse(() => "")
  )
  return `asrflow: ${logLevel.label.toLowerCase()}: ${text}${item}`
}))

const MainLive = Layer.mergeAll(
  Layer.mergeAll(NodeDirectoryEntries.layer, NodeFileStamps.layer, NodeFileHeads.layer).pipe(
    Layer.provideMerge(NodeContext.layer)
  ),
  Logger.replace(Logger.defaultLogger, stderrLogger)
)

/**
 * Calls `done` once everything written to stdout and stderr so far has left the process. Writes to a pipe
 * are asynchronous, and `process.exit` drops what is still queued (a piped run lost its summary after
 * 64 KB); a stream's write callbacks run in order, so an empty write's callback means all before it went out.
 * A stream that was closed (EPIPE: `| head`) counts as flushed.
 */
const flushStdio = (done: () => void): void => {
  let pending = 2
  const settle = () => {
    pending -= 1
    if (pending === 0) done()
  }
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.destroyed || stream.writableEnded) settle()
    else stream.write("", settle)
  }
}

const signalCode = (signal: StopSignal.Name): number => signal === "SIGINT" ? 130 : 143

const runMain = (stop: StopSignal.StopSignal["Type"]) =>
  makeRunMain(({ fiber, teardown }) => {
    const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
    let received: StopSignal.Name | undefined
    const onSignal = (signal: StopSignal.Name) => {
      // the second signal: at once
      if (received !== undefined) process.exit(signalCode(received))
      received = signal
      if (stop.unsafeIsListening()) stop.unsafeRequest(signal)
      else fiber.unsafeInterruptAsFork(fiber.id())
    }
    const onSigint = () => onSignal("SIGINT")
    const onSigterm = () => onSignal("SIGTERM")
    process.on("SIGINT", onSigint)
    process.on("SIGTERM", onSigterm)
    fiber.addObserver((exit) => {
      clearInterval(keepAlive)
      const interrupted = Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
      teardown(exit, (code) => {
        process.removeListener("SIGINT", onSigint)
        process.removeListener("SIGTERM", onSigterm)
        const final = interrupted && received !== undefined ? signalCode(received) : code
        if (received !== undefined || final !== 0) process.exit(final)
      })
    })
  })

/**
 * Runs the CLI on `process.argv` until it exits, with the process's exit code.
 *
 * @since 0.2.0
 * @category constructors
 */
export const run = (options: Cli.MakeOptions = {}): void => {
  const stop = StopSignal.unsafeMake()
  Cli.run(options)(process.argv).pipe(
    Effect.tapErrorCause((cause) => {
      const message = CliExit.describe(cause)
      return message === undefined ? Effect.void : Effect.sync(() => process.stderr.write(`${message}\n`))
    }),
    Effect.provide(Layer.merge(MainLive, StopSignal.layer(stop))),
    Logger.withMinimumLogLevel(LogLevel.Info),
    runMain(stop)({
      disableErrorReporting: true,
      disablePrettyLogger: true,
      teardown: (exit, onExit) => flushStdio(() => onExit(CliExit.exitCode(exit)))
    })
  )
}
