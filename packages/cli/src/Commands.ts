/**
 * Command handlers. They stay thin: load, compose the run's layers, run, report.
 *
 * @since 0.1.0
 */
import { PipelineConfig, PipelineLoader, RunEvents } from "@asrflow/core"
import type { Pipeline } from "@asrflow/core"
import { NodeHttpClient } from "@effect/platform-node"
import { Console, Effect, Layer, Option, Stream } from "effect"
import type { Chunk, Redacted } from "effect"
import { CliExit } from "./CliExit.js"
import { CliRegistries } from "./CliRegistries.js"
import { exitOnCredentials, loadPipeline, withEmulator } from "./CommandSupport.js"
import * as PipelineRun from "./PipelineRun.js"
import * as Progress from "./Progress.js"
import * as Reference from "./Reference.js"
import * as Registries from "./Registries.js"
import type * as RunCommands from "./RunCommands.js"
import * as RunOutput from "./RunOutput.js"
import * as Terminal from "./Terminal.js"
import * as ValidateCommand from "./ValidateCommand.js"

/**
 * The services every command needs beyond the platform: the pipeline loader and the HTTP client.
 * They live here rather than in bin.ts so that they load with the handlers, not on `--help`.
 *
 * @since 0.1.0
 * @category layers
 */
export const Live = Layer.mergeAll(PipelineLoader.PipelineLoader.Default, NodeHttpClient.layerUndici)

/**
 * The components asrflow ships, for a CLI made without registries of its own.
 *
 * @since 0.2.0
 * @category components
 */
export const builtInRegistries = Registries.builtIn

/**
 * `asrflow schema`: the pipeline file's JSON Schema, its reference as Markdown, or the run events' schema.
 *
 * @since 0.1.0
 * @category commands
 */
export const schema = (options: { readonly markdown: boolean; readonly events: boolean }) =>
  Effect.flatMap(CliRegistries, (registries) =>
    Console.log(
      options.events
        ? JSON.stringify(RunEvents.jsonSchema(), null, 2)
        : options.markdown
        ? Reference.markdown(registries)
        : JSON.stringify(PipelineConfig.jsonSchema(registries), null, 2)
    ))

/**
 * `asrflow components`: every registered component with its one-line description.
 *
 * @since 0.1.0
 * @category commands
 */
export const components = Effect.gen(function*() {
  const registries = yield* CliRegistries
  const sections = [
    ["sources", registries.sources.components],
    ["providers", registries.providers.components],
    ["sinks", registries.sinks.components]
  ] as const
  for (const [title, list] of sections) {
    yield* Console.log(`${title}:`)
    const width = Math.max(...list.map((component) => component.type.length), 4)
    for (const component of list) {
      yield* Console.log(`  ${component.type.padEnd(width)}  ${component.description}`)
    }
  }
})

/**
 * `asrflow validate <pipeline.yaml>`: checks what `run` would read, without any network call, and records
 * what was checked in `<output root>/validate.txt`.
 *
 * @since 0.1.0
 * @category commands
 */
export const validate = (options: {
  readonly pipeline: string
  readonly outputDir: Option.Option<string>
  readonly allowRejected: boolean
}) => ValidateCommand.validate(options)

/**
 * `asrflow run <pipeline.yaml>` (`-` reads the pipeline from stdin).
 *
 * @since 0.1.0
 * @category commands
 */
export const run = (options: {
  readonly pipeline: string
  readonly concurrency: Option.Option<number>
  readonly outputDir: Option.Option<string>
  readonly dryRun: boolean
  readonly force: boolean
  readonly emulator: boolean
  readonly json: boolean
  readonly quiet: boolean
  readonly ledger: Option.Option<Redacted.Redacted<string>>
  readonly runName: Option.Option<string>
  readonly leaseSeconds: Option.Option<number>
}) =>
  RunOutput.governed(
    options.quiet,
    withEmulator(
      options.emulator,
      Effect.gen(function*() {
        const registries = yield* CliRegistries
        const loaded = yield* loadPipeline(options.pipeline)
        const outcome = yield* PipelineRun.execute(loaded, {
          registries,
          outputDir: Option.getOrUndefined(options.outputDir),
          concurrency: Option.getOrUndefined(options.concurrency),
          force: options.force,
          dryRun: options.dryRun,
          events: yield* Progress.forTerminal({ json: options.json }),
          ledger: Option.getOrUndefined(options.ledger),
          runName: Option.getOrUndefined(options.runName),
          leaseSeconds: Option.getOrUndefined(options.leaseSeconds)
        }).pipe(Effect.catchTag("CredentialsError", exitOnCredentials))
        if (outcome._tag === "Planned") {
          return yield* printPlan(outcome.planned, outcome.outputRoot).pipe(
            Effect.catchTag("CredentialsError", exitOnCredentials)
          )
        }
        yield* RunOutput.summary(outcome.summary, outcome.outputRoot, outcome.summaryFile, outcome.listed)
        if (outcome.summary.exitCode !== 0) return yield* new CliExit({ code: outcome.summary.exitCode })
      })
    )
  )

const printPlan = <E>(planned: Stream.Stream<Pipeline.PlannedItem, E>, outputRoot: string) =>
  Effect.suspend(() => {
    let count = 0
    let seconds = 0
    const costs = new Map<string, number>()
    // one write per chunk of the plan (a few hundred rows): printed as it is probed, nothing kept
    const printChunk = (chunk: Chunk.Chunk<Pipeline.PlannedItem>) => {
      const lines: Array<string> = []
      for (const entry of chunk) {
        count++
        if (entry.rejected !== undefined || entry.plan === undefined) {
          lines.push(Terminal.safe(`reject  ${entry.item.id}  ${entry.rejected ?? "no plan"}`))
          continue
        }
        const { plan } = entry
        seconds += plan.estimatedSeconds ?? 0
        if (plan.estimatedCost) {
          costs.set(
            plan.estimatedCost.currency,
            (costs.get(plan.estimatedCost.currency) ?? 0) + plan.estimatedCost.amount
          )
        }
        lines.push(Terminal.safe(
          `${plan.route.padEnd(6)}  ${entry.item.id}  model=${plan.model}` +
            `${plan.estimatedSeconds !== undefined ? ` ~${Math.ceil(plan.estimatedSeconds)} s` : ""}` +
            `${plan.estimatedCost ? ` ~${plan.estimatedCost.amount.toFixed(5)} ${plan.estimatedCost.currency}` : ""}` +
            `${entry.outputs.length > 0 ? ` -> ${entry.outputs.join(", ")}` : ""}`
        ))
        for (const warning of plan.warnings) lines.push(Terminal.safe(`        warning: ${warning}`))
      }
      return lines.length === 0 ? Effect.void : Console.log(lines.join("\n"))
    }
    return Stream.runForEachChunk(planned, printChunk).pipe(
      Effect.zipRight(Effect.suspend(() => {
        const total = [...costs].map(([currency, amount]) => `${amount.toFixed(4)} ${currency}`).join(" + ") || "n/a"
        return Console.log(
          `dry run: ${count} item(s), ~${
            Math.ceil(seconds)
          } s of audio, estimated cost ${total}; outputs under ${outputRoot}`
        )
      }))
    )
  })

/**
 * @since 0.2.0
 */
export { cancel, doctor } from "./ProviderCommands.js"

/**
 * @since 0.2.0
 */
export { transcribe } from "./TranscribeCommand.js"

// status and report load the PostgreSQL driver: only when they run
const runCommands = Effect.promise(() => import("./RunCommands.js"))

/**
 * `asrflow status`: a shared run's items by state, its workers, its oldest lease, the lanes.
 *
 * @since 0.2.0
 * @category commands
 */
export const status = (options: Parameters<typeof RunCommands.status>[0]) =>
  Effect.flatMap(runCommands, (module) => module.status(options))

/**
 * `asrflow report`: a shared run's JSONL and summary, from the ledger.
 *
 * @since 0.2.0
 * @category commands
 */
export const report = (options: Parameters<typeof RunCommands.report>[0]) =>
  Effect.flatMap(runCommands, (module) => module.report(options))
