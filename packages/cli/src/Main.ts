/**
 * The edge of an `asrflow` program: logging to stderr, exit codes, and `runMain`. `bin.ts` runs it with
 * the built-in components; a program that embeds asrflow runs it with registries of its own:
 *
 * ```ts
 * import * as Main from "@asrflow/cli/Main"
 * Main.run({ registries: { ...builtIn, providers: Registry.make(...builtIn.providers.components, myProvider) } })
 * ```
 *
 * @since 0.2.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, HashMap, Layer, Logger, LogLevel, Option } from "effect"
import * as Cli from "./Cli.js"
import * as CliExit from "./CliExit.js"

// One line per log entry on stderr (stdout stays clean for --print-response and schema output).
const stderrLogger = Logger.make(({ annotations, logLevel, message }) => {
  const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
  const item = HashMap.get(annotations, "item").pipe(
    Option.map((value) => ` [${String(value)}]`),
    Option.getOrElse(() => "")
  )
  process.stderr.write(`asrflow: ${logLevel.label.toLowerCase()}: ${text}${item}\n`)
})

const MainLive = Layer.mergeAll(NodeContext.layer, Logger.replace(Logger.defaultLogger, stderrLogger))

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

/**
 * Runs the CLI on `process.argv` until it exits, with the process's exit code.
 *
 * @since 0.2.0
 * @category constructors
 */
export const run = (options: Cli.MakeOptions = {}): void =>
  Cli.run(options)(process.argv).pipe(
    Effect.tapErrorCause((cause) => {
      const message = CliExit.describe(cause)
      return message === undefined ? Effect.void : Effect.sync(() => process.stderr.write(`${message}\n`))
    }),
    Effect.provide(MainLive),
    Logger.withMinimumLogLevel(LogLevel.Info),
    NodeRuntime.runMain({
      disableErrorReporting: true,
      disablePrettyLogger: true,
      teardown: (exit, onExit) => flushStdio(() => onExit(CliExit.exitCode(exit)))
    })
  )
