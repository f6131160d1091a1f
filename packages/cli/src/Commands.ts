/**
 * Command handlers. They stay thin: load, compose the run's layers, run, report.
 *
 * @since 0.1.0
 */
import { OutputRoot, Pipeline, PipelineConfig, PipelineLoader, RunContext } from "@asrflow/core"
import type { Summary } from "@asrflow/core"
import { AtomicFile } from "@asrflow/sinks"
import { Path } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Console, Effect, Either, Layer, Option, Stream } from "effect"
import { CliExit } from "./CliExit.js"
import { CliRegistries } from "./CliRegistries.js"
import { exitOnCredentials, withEmulator } from "./CommandSupport.js"
import * as PipelineRun from "./PipelineRun.js"
import * as Reference from "./Reference.js"
import * as Registries from "./Registries.js"

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

const loadPipeline = (file: string) =>
  Effect.flatMap(
    Effect.zip(PipelineLoader.PipelineLoader, CliRegistries),
    ([loader, registries]) => loader.load(file, registries)
  ).pipe(
    Effect.catchTag("PipelineConfigError", (error) =>
      Console.error(error.lines.join("\n")).pipe(
        Effect.zipRight(new CliExit({ code: 2, message: `${error.issues.length} problem(s) in ${error.file}` }))
      ))
  )

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
 * `asrflow validate <pipeline.yaml>`: checks the file without any network call and records what
 * was checked in `<output root>/validate.txt`.
 *
 * @since 0.1.0
 * @category commands
 */
export const validate = (options: { readonly pipeline: string; readonly outputDir: Option.Option<string> }) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const registries = yield* CliRegistries
    const loaded = yield* loadPipeline(options.pipeline)
    const { config } = loaded
    const provider = yield* Registries.provider(registries, config.provider.type)
    const outputRoot = yield* OutputRoot.resolve({
      flag: Option.getOrUndefined(options.outputDir),
      pipeline: config.output_dir,
      providerFolder: provider.outputFolder
    })
    const warnings = provider.check(config.provider)
    const checkedAt = new Date(yield* Clock.currentTimeMillis)
    const context = RunContext.RunContext.of({
      baseDir: loaded.baseDir,
      outputRoot,
      runId: "validate",
      startedAt: checkedAt
    })
    const sources = yield* Effect.forEach(
      config.sources,
      (source, index) =>
        Pipeline.entries({ ...config, sources: [source] }, registries).pipe(
          Stream.runFold({ items: 0, rejected: [] as Array<string> }, (acc, entry) => {
            if (Either.isLeft(entry)) acc.rejected.push(entry.left.message)
            else acc.items += 1
            return acc
          }),
          Effect.map(({ items, rejected }) => [
            `source ${index} (${source.type}): ${items} item(s)${
              rejected.length > 0 ? `, ${rejected.length} rejected` : ""
            }`,
            ...rejected.map((message) => `  rejected: ${message}`)
          ]),
          Effect.provideService(RunContext.RunContext, context)
        )
    )
    const lines = [
      `asrflow validate: OK`,
      `file: ${options.pipeline}`,
      `checked at: ${checkedAt.toISOString()}`,
      `schema: valid (version ${config.version}, ${config.sources.length} source(s), provider ${config.provider.type}, sinks ${
        config.sinks.map((sink) => sink.type).join(", ")
      })`,
      `output root: ${outputRoot}`,
      ...sources.flat(),
      ...warnings.map((warning) => `warning: ${warning}`),
      `network: not used`
    ]
    yield* AtomicFile.writeFileAtomic("validate", path.join(outputRoot, "validate.txt"), lines.join("\n") + "\n")
    yield* Console.log(lines.join("\n"))
  })

const seconds = (value: number) => `${Math.round(value * 10) / 10} s`

const printSummary = (summary: Summary.Summary, outputRoot: string, summaryFile: string) =>
  Effect.gen(function*() {
    for (const failure of summary.failures) {
      yield* Console.error(`  failed  ${failure.item}  (${failure.phase}) ${failure.message}`)
    }
    for (const error of summary.errors) yield* Console.error(`asrflow: error: ${error}`)
    if (summary.aborted !== undefined) yield* Console.error(`asrflow: ${summary.aborted}`)
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
  Effect.gen(function*() {
    let seconds = 0
    const costs = new Map<string, number>()
    for (const entry of planned) {
      if (entry.rejected !== undefined || entry.plan === undefined) {
        yield* Console.log(`reject  ${entry.item.id}  ${entry.rejected ?? "no plan"}`)
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
      yield* Console.log(
        `${plan.route.padEnd(6)}  ${entry.item.id}  model=${plan.model}` +
          `${plan.estimatedSeconds !== undefined ? ` ~${Math.ceil(plan.estimatedSeconds)} s` : ""}` +
          `${plan.estimatedCost ? ` ~${plan.estimatedCost.amount.toFixed(5)} ${plan.estimatedCost.currency}` : ""}` +
          `${entry.outputs.length > 0 ? ` -> ${entry.outputs.join(", ")}` : ""}`
      )
      for (const warning of plan.warnings) yield* Console.log(`        warning: ${warning}`)
    }
    const total = [...costs].map(([currency, amount]) => `${amount.toFixed(4)} ${currency}`).join(" + ") || "n/a"
    yield* Console.log(
      `dry run: ${planned.length} item(s), ~${
        Math.ceil(seconds)
      } s of audio, estimated cost ${total}; outputs under ${outputRoot}`
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
