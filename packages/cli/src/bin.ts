#!/usr/bin/env node
/**
 * The edge: layers and runMain only.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, HashMap, Layer, Logger, LogLevel, Option } from "effect"
import { cli } from "./Cli.js"
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

cli(process.argv).pipe(
  Effect.tapErrorCause((cause) => {
    const message = CliExit.describe(cause)
    return message === undefined ? Effect.void : Effect.sync(() => process.stderr.write(`${message}\n`))
  }),
  Effect.provide(MainLive),
  Logger.withMinimumLogLevel(LogLevel.Info),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) => onExit(CliExit.exitCode(exit))
  })
)
