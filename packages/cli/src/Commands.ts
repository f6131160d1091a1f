/**
 * Command handlers. They stay thin: load, compose the run's layers, run, report.
 *
 * @since 0.1.0
 */
import { PipelineConfig, PipelineLoader } from "@asrflow/core"
import type { Pipeline, Summary } from "@asrflow/core"
import { NodeHttpClient } from "@effect/platform-node"
import { Console, Effect, Layer, Option } from "effect"
import { CliExit } from "./CliExit.js"
import { CliRegistries } from "./CliRegistries.js"
import { exitOnCredentials, loadPipeline, withEmulator } from "./CommandSupport.js"
import * as PipelineRun from "./PipelineRun.js"
import * as Reference from "./Reference.js"
import * as Registries from "./Registries.js"
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
 * `asrflow schema`: the pipeline file's JSON Schema.
 *
 * @since 0.1.0
 * @category commands
 */
export const schema = (options: { readonly markdown: boolean }) =>
  Effect.flatMap(CliRegistries, (registries) =>
    Console.log(
      options.markdown ? Reference.markdown(registries) : JSON.stringify(PipelineConfig.jsonSchema(registries), null, 2)
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

const seconds = (value: number) => `${Math.round(value * 10) / 10} s`

const printSummary = (summary: Summary.Summary, outputRoot: string, summaryFile: string) =>
  Effect.gen(function*() {
    for (const failure of summary.failures) {
      yield* Console.error(Terminal.safe(`  failed  ${failure.item}  (${failure.phase}) ${failure.message}`))
    }
    if (summary.failed > summary.failures.length) {
      yield* Console.error(
        `  … and ${summary.failed - summary.failures.length} more failed: every failure is in the run log`
      )
    }
    for (const error of summary.errors) yield* Console.error(Terminal.safe(`asrflow: error: ${error}`))
    if (summary.aborted !== undefined) yield* Console.error(Terminal.safe(`asrflow: ${summary.aborted}`))
    yield* Console.error(
      `asrflow: ${summary.done} done, ${summary.failed} failed, ${summary.skipped} skipped of ${summary.total} item(s)` +
        ` · ${seconds(summary.audio_seconds)} of audio · ${summary.billed_seconds} s billed · ${
          seconds(summary.elapsed_ms / 1000)
        } elapsed${summary.second_round > 0 ? ` · ${summary.second_round} needed a second round` : ""}`
    )
    yield* Console.error(`asrflow: outputs in ${outputRoot} (summary: ${summaryFile})`)
  })

/**
 * `asrflow run <pipeline.yaml>`.
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
}) =>
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
        events: "progress"
      }).pipe(Effect.catchTag("CredentialsError", exitOnCredentials))
      if (outcome._tag === "Planned") return yield* printPlan(outcome.planned, outcome.outputRoot)
      yield* printSummary(outcome.summary, outcome.outputRoot, outcome.summaryFile)
      if (outcome.summary.exitCode !== 0) return yield* new CliExit({ code: outcome.summary.exitCode })
    })
  )

const printPlan = (planned: ReadonlyArray<Pipeline.PlannedItem>, outputRoot: string) =>
  Effect.suspend(() => {
    let seconds = 0
    const costs = new Map<string, number>()
    // one write for the whole plan: thousands of rows print in one go
    const lines: Array<string> = []
    for (const entry of planned) {
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
    const total = [...costs].map(([currency, amount]) => `${amount.toFixed(4)} ${currency}`).join(" + ") || "n/a"
    lines.push(
      `dry run: ${planned.length} item(s), ~${
        Math.ceil(seconds)
      } s of audio, estimated cost ${total}; outputs under ${outputRoot}`
    )
    return Console.log(lines.join("\n"))
  })

/**
 * @since 0.2.0
 */
export { cancel, doctor } from "./ProviderCommands.js"

/**
 * @since 0.2.0
 */
export { transcribe } from "./TranscribeCommand.js"
