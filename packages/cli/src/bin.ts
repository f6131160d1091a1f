#!/usr/bin/env node
/**
 * The edge: layers and runMain only.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { cli } from "./Cli.js"
import * as CliExit from "./CliExit.js"

const MainLive = Layer.mergeAll(
  NodeContext.layer,
  Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true, colors: "auto" }))
)

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
