/**
 * Command handlers. They stay thin: load, compose the run's layers, run, report.
 *
 * @since 0.1.0
 */
import { Ledger, OutputRoot, Pipeline, PipelineConfig, PipelineLoader, RunContext } from "@asrflow/core"
import type { Credentials, Summary } from "@asrflow/core"
import { AtomicFile } from "@asrflow/sinks"
import { FileSystem, Path } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Console, Effect, Either, Layer, Option, Stream } from "effect"
import { CliExit } from "./CliExit.js"
import * as KeylessMode from "./KeylessMode.js"
import * as OneShot from "./OneShot.js"
import * as PipelineRun from "./PipelineRun.js"
import * as Reference from "./Reference.js"
import * as Registries from "./Registries.js"
import { CliRegistries } from "./CliRegistries.js"
import * as RunLayer from "./RunLayer.js"

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
        } elapsed`
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
 * A missing or malformed key: the provider's message, once, and exit code 3.
 *
 * @since 0.2.0
 * @category utils
 */
export const exitOnCredentials = (error: Credentials.CredentialsError) =>
  new CliExit({ code: 3, message: `asrflow: ${error.message}` })

/**
 * Runs a command with `--emulator` applied: the embedded emulator, and every registered provider that
 * it serves pointed at it.
 *
 * @since 0.2.0
 * @category utils
 */
export const withEmulator = <A, E, R>(enabled: boolean, effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(CliRegistries, (registries) => Effect.provide(effect, KeylessMode.layer(enabled, registries)))

/** The provider named by `--provider` (or the default one) and its config for the request's fields. */
const providerFor = (request: OneShot.Options) =>
  Effect.flatMap(CliRegistries, (registries) =>
    OneShot.providerConfig(registries, request).pipe(
      Effect.catchTag("UsageError", (error) => new CliExit({ code: 2, message: `asrflow: ${error.message}` }))
    ))

/**
 * `asrflow doctor`: resolves the provider's key (saying where it came from, never what it is) and makes
 * the provider's one read-only call.
 *
 * @since 0.1.0
 * @category commands
 */
export const doctor = (options: {
  readonly provider: Option.Option<string>
  readonly region: Option.Option<string>
  readonly emulator: boolean
}) =>
  withEmulator(
    options.emulator,
    Effect.gen(function*() {
      const { component, config } = yield* providerFor({
        audio: "",
        provider: Option.getOrUndefined(options.provider),
        region: Option.getOrUndefined(options.region)
      })
      const credentials = yield* Effect.either(component.credentials.resolve())
      if (Either.isLeft(credentials)) {
        yield* Console.error(
          `key: not found\ncheck: ${credentials.left.reason.toLowerCase()} - ${credentials.left.message}`
        )
        return yield* new CliExit({ code: 3 })
      }
      const report = yield* component.doctor(config, credentials.right)
      const lines = [
        `key: found in ${credentials.right.source}`,
        ...report.facts.map(([label, value]) => `${label}: ${value}`),
        `check: ${report.ok ? "ok" : "failed"} - ${report.message}`
      ]
      yield* (report.ok ? Console.log(lines.join("\n")) : Console.error(lines.join("\n")))
      if (!report.ok) return yield* new CliExit({ code: report.exitCode })
    })
  )

const splitList = (value: Option.Option<string>) =>
  Option.getOrUndefined(
    Option.map(value, (text) => text.split(",").map((part) => part.trim()).filter((part) => part !== ""))
  )

/**
 * `asrflow transcribe --audio …`: one recording, with the original helper's flags.
 *
 * @since 0.1.0
 * @category commands
 */
export const transcribe = (flags: {
  readonly audio: Option.Option<string>
  readonly taskId: Option.Option<string>
  readonly model: Option.Option<string>
  readonly languageHints: Option.Option<string>
  readonly sampleRate: Option.Option<number>
  readonly vocabularyId: Option.Option<string>
  readonly disfluencyRemovalEnabled: boolean
  readonly timestampGranularities: Option.Option<string>
  readonly async: boolean
  readonly wait: boolean
  readonly pollInterval: Option.Option<number>
  readonly maxWaits: Option.Option<number>
  readonly output: Option.Option<string>
  readonly outputDir: Option.Option<string>
  readonly printResponse: boolean
  readonly context: Option.Option<string>
  readonly itn: boolean
  readonly provider: Option.Option<string>
  readonly region: Option.Option<string>
  readonly format: Option.Option<OneShot.Format>
  readonly emulator: boolean
}) =>
  withEmulator(
    flags.emulator,
    Effect.gen(function*() {
      const path = yield* Path.Path
      const registries = yield* CliRegistries
      const granularities = splitList(flags.timestampGranularities)
      const invalid = granularities?.filter((value) => value !== "sentence" && value !== "word") ?? []
      if (invalid.length > 0) {
        return yield* new CliExit({
          code: 2,
          message: `--timestamp-granularities takes sentence and/or word, not ${invalid.join(", ")}`
        })
      }
      if (Option.isNone(flags.audio) && Option.isNone(flags.taskId)) {
        return yield* new CliExit({ code: 2, message: "asrflow transcribe needs --audio PATH|URL (or --task-id ID)" })
      }
      const options: OneShot.Options = {
        audio: Option.getOrElse(flags.audio, () => ""),
        provider: Option.getOrUndefined(flags.provider),
        task_id: Option.getOrUndefined(flags.taskId),
        wait: flags.wait,
        model: Option.getOrUndefined(flags.model),
        language_hints: splitList(flags.languageHints),
        sample_rate: Option.getOrUndefined(flags.sampleRate),
        vocabulary_id: Option.getOrUndefined(flags.vocabularyId),
        disfluency_removal_enabled: flags.disfluencyRemovalEnabled || undefined,
        timestamp_granularities: granularities as ReadonlyArray<"sentence" | "word"> | undefined,
        async: flags.async || undefined,
        context: Option.getOrUndefined(flags.context),
        enable_itn: flags.itn || undefined,
        region: Option.getOrUndefined(flags.region),
        poll_interval_secs: Option.getOrUndefined(flags.pollInterval),
        max_waits: Option.getOrUndefined(flags.maxWaits),
        output: Option.getOrUndefined(flags.output),
        output_dir: Option.getOrUndefined(flags.outputDir),
        format: Option.getOrUndefined(flags.format)
      }
      const { component, config } = yield* providerFor(options)
      const warnings = component.check(config)
      for (const warning of warnings) yield* Console.error(`asrflow: warning: ${warning}`)
      const done = yield* OneShot.execute(registries, options).pipe(
        Effect.catchTag("UsageError", (error) => new CliExit({ code: 2, message: error.message })),
        Effect.catchTag("CredentialsError", exitOnCredentials),
        Effect.catchTag("ProbeError", (error) => new CliExit({ code: 1, message: error.message })),
        Effect.catchTag("TranscriptionError", (error) =>
          new CliExit({ code: error.isFatal ? 3 : 1, message: `asrflow: ${error.message}` }))
      )
      for (const warning of done.transcript.warnings) {
        if (!warnings.includes(warning)) {
          yield* Console.error(`asrflow: warning: ${warning}`)
        }
      }
      if (flags.printResponse) {
        yield* Console.log(JSON.stringify(OneShot.normalized(done.transcript), null, 2))
      } else if (done.submitOnly) {
        yield* Console.log(`task_id: ${done.transcript.taskId}\nstatus: ${done.transcript.status}`)
        yield* Console.error(
          `asrflow: submitted; pick it up with: asrflow transcribe --task-id ${done.transcript.taskId} --wait`
        )
      } else {
        yield* Console.log(done.transcript.text)
      }
      yield* Console.error(`asrflow: wrote ${
        done.files.map((file) => path.resolve(done.outputRoot, file)).join(", ")
      }`)
    })
  )

/**
 * `asrflow cancel <output root>`: cancels the queued remote jobs of an unfinished run, provider by
 * provider (each that can cancel).
 *
 * @since 0.1.0
 * @category commands
 */
export const cancel = (options: {
  readonly outputRoot: string
  readonly region: Option.Option<string>
  readonly emulator: boolean
}) =>
  withEmulator(
    options.emulator,
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const registries = yield* CliRegistries
      const file = RunLayer.ledgerFile(path, path.resolve(options.outputRoot))
      if (!(yield* fs.exists(file))) {
        return yield* new CliExit({
          code: 2,
          message: `asrflow: no ledger at ${file}: give the output root of a run (e.g. output/aliyun-qwen-asr)`
        })
      }
      const ledger = RunLayer.ledgerLayer(file, registries)
      const open = yield* Effect.flatMap(Ledger.Ledger, (ledger) => ledger.openJobs()).pipe(Effect.provide(ledger))
      const providers = [...new Set(open.map((job) => job.provider))]
      let cancelled = 0
      let kept = 0
      for (const type of providers) {
        const component = registries.providers.get(type) as Registries.Provider | undefined
        if (component?.cancel === undefined) {
          yield* Console.error(
            `asrflow: ${type}: ${
              component === undefined ? "not a registered provider" : "cannot cancel"
            }; its jobs are left as they are`
          )
          continue
        }
        const { config } = yield* providerFor({
          audio: "",
          provider: type,
          region: Option.getOrUndefined(options.region)
        })
        const credentials = yield* component.credentials.resolve().pipe(
          Effect.catchTag("CredentialsError", exitOnCredentials)
        )
        const outcome = yield* component.cancel(config, credentials).pipe(Effect.provide(ledger))
        for (const remoteId of outcome.cancelled) yield* Console.log(`cancelled  ${remoteId}`)
        for (const entry of outcome.kept) {
          yield* Console.log(`kept       ${entry.remoteId || "(no task id)"}  ${entry.itemId}  ${entry.status}`)
        }
        cancelled += outcome.cancelled.length
        kept += outcome.kept.length
      }
      yield* Console.error(`asrflow: cancelled ${cancelled} pending task(s); ${kept} left as they are`)
    })
  )
