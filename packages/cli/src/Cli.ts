/**
 * The `asrflow` command line: commands only; handlers live in Commands.ts, flags and help texts in
 * CommandFlags.ts (`Help.ts` renders the help from the same declarations).
 *
 * @since 0.1.0
 */
import type { PipelineConfig } from "@asrflow/core"
import { Args, Command } from "@effect/cli"
import { Console, Effect, Layer } from "effect"
import { CliRegistries } from "./CliRegistries.js"
import {
  cancelDoc,
  cancelFlags,
  componentsDoc,
  docs,
  doctorDoc,
  doctorFlags,
  inputsArg,
  optionsOf,
  overviewExamples,
  pipelineArg,
  runDoc,
  runFlags,
  schemaDoc,
  schemaFlags,
  transcribeDoc,
  transcribeFlags,
  validateDoc,
  validateFlags
} from "./CommandFlags.js"
import type * as Commands from "./Commands.js"
import * as Help from "./Help.js"
import { reportDoc, reportFlags, statusDoc, statusFlags } from "./LedgerFlags.js"
import * as Version from "./Version.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface MakeOptions {
  /** The components this CLI knows; by default every component asrflow ships. */
  readonly registries?: PipelineConfig.Registries | undefined
}

/**
 * asrflow's version, as published.
 *
 * @since 0.2.0
 * @category constants
 */
export const version = Version.version

/**
 * The `asrflow` command tree over the given registries.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: MakeOptions = {}) => {
  // Handlers load on first use, so `--help` and usage errors never evaluate the providers, sinks, YAML,
  // SQLite or HTTP client code (see bench/cold-start.mjs).
  const handlers = Effect.promise(() => import("./Commands.js"))
  const handler = <A, B, E, R>(pick: (module: typeof Commands) => (args: A) => Effect.Effect<B, E, R>) => (args: A) =>
    Effect.flatMap(handlers, (module) =>
      Effect.provide(
        pick(module)(args),
        Layer.merge(module.Live, Layer.succeed(CliRegistries, options.registries ?? module.builtInRegistries))
      ))
  const described = <C extends Command.Command<any, any, any, any>>(doc: { readonly summary: string }, command: C) =>
    Command.withDescription(command, doc.summary) as C

  const run = described(
    runDoc,
    Command.make("run", { ...optionsOf(runFlags), pipeline: pipelineArg }, handler((m) => m.run))
  )
  const transcribe = described(
    transcribeDoc,
    Command.make("transcribe", { ...optionsOf(transcribeFlags), inputs: inputsArg }, handler((m) => m.transcribe))
  )
  const validate = described(
    validateDoc,
    Command.make("validate", {
      ...optionsOf(validateFlags),
      pipeline: Args.file({ name: "pipeline.yaml", exists: "yes" })
    }, handler((m) => m.validate))
  )
  const schema = described(schemaDoc, Command.make("schema", optionsOf(schemaFlags), handler((m) => m.schema)))
  const components = described(
    componentsDoc,
    Command.make("components", {}, handler((m) => () => m.components))
  )
  const doctor = described(doctorDoc, Command.make("doctor", optionsOf(doctorFlags), handler((m) => m.doctor)))
  const cancel = described(
    cancelDoc,
    Command.make("cancel", {
      ...optionsOf(cancelFlags),
      outputRoot: Args.directory({ name: "output root", exists: "yes" })
    }, handler((m) => m.cancel))
  )
  const status = described(statusDoc, Command.make("status", optionsOf(statusFlags), handler((m) => m.status)))
  const report = described(reportDoc, Command.make("report", optionsOf(reportFlags), handler((m) => m.report)))
  return Command.make("asrflow").pipe(
    Command.withDescription("Batch speech transcription: Alibaba Cloud Qwen ASR and other providers"),
    Command.withSubcommands([run, transcribe, validate, doctor, cancel, status, report, schema, components])
  )
}

/**
 * @since 0.1.0
 * @category commands
 */
export const command = make()

/**
 * Every command's help, in the order `asrflow --help` lists them.
 *
 * @since 0.2.0
 */
export { docs }

/** The command `args` name: the first word that is not a flag or the value of `--log-level`. */
const commandOf = (args: ReadonlyArray<string>): string | undefined =>
  args.find((arg, i) => !arg.startsWith("-") && args[i - 1] !== "--log-level")

/**
 * What `run -` becomes before parsing: `@effect/cli` takes a lone `-` for a flag.
 *
 * @since 0.2.0
 * @category constants
 */
export const stdinArgument = "\u0000stdin"

/**
 * The help `argv` asks for (`--help`, `-h`, or no command at all), or undefined when it asks for none.
 *
 * @since 0.2.0
 * @category utils
 */
export const helpFor = (args: ReadonlyArray<string>): string | undefined => {
  const end = args.indexOf("--")
  const before = end === -1 ? args : args.slice(0, end)
  const name = commandOf(before)
  const doc = docs.find((candidate) => candidate.name === name)
  if (before.length === 0) return Help.overview(version, docs, overviewExamples)
  if (!before.includes("--help") && !before.includes("-h")) return undefined
  return doc === undefined ? Help.overview(version, docs, overviewExamples) : Help.command(doc)
}

/**
 * Runs a CLI over the given registries (`argv` as `process.argv`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const run = (options: MakeOptions = {}) => {
  const cli = Command.run(make(options), { name: "asrflow", version })
  return (argv: ReadonlyArray<string>) => {
    const help = helpFor(argv.slice(2))
    if (help !== undefined) return Console.log(help)
    const stdin = commandOf(argv.slice(2)) === "run"
    return cli(stdin ? argv.map((arg, i) => i >= 2 && arg === "-" ? stdinArgument : arg) : argv)
  }
}

/**
 * @since 0.1.0
 * @category commands
 */
export const cli = run()
