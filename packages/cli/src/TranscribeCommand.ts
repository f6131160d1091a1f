/**
 * `asrflow transcribe`: recordings without a pipeline file. Inputs given as arguments (files, folders,
 * globs, URLs) run as one batch through the pipeline runner (`OneShotPipeline`); `--audio` and
 * `--task-id` keep the original helper's one-recording behaviour (`OneShot`).
 *
 * @since 0.2.0
 */
import { Path } from "@effect/platform"
import { Console, Effect, LogLevel, Option } from "effect"
import { CliExit } from "./CliExit.js"
import { CliRegistries } from "./CliRegistries.js"
import { exitOnCredentials, providerFor, withEmulator } from "./CommandSupport.js"
import * as OneShot from "./OneShot.js"
import * as OneShotPipeline from "./OneShotPipeline.js"
import * as PipelineRun from "./PipelineRun.js"
import * as Progress from "./Progress.js"
import * as RunOutput from "./RunOutput.js"

const splitList = (value: Option.Option<string>) =>
  Option.getOrUndefined(
    Option.map(value, (text) => text.split(",").map((part) => part.trim()).filter((part) => part !== ""))
  )

/**
 * @since 0.2.0
 * @category models
 */
export interface Flags {
  readonly inputs: ReadonlyArray<string>
  readonly audio: Option.Option<string>
  readonly taskId: Option.Option<string>
  readonly model: Option.Option<string>
  readonly languageHints: Option.Option<string>
  readonly sampleRate: Option.Option<number>
  readonly vocabularyId: Option.Option<string>
  readonly disfluencyRemovalEnabled: boolean
  readonly timestampGranularities: Option.Option<ReadonlyArray<"sentence" | "word">>
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
  readonly format: Option.Option<ReadonlyArray<OneShot.Format>>
  readonly emulator: boolean
  readonly json: boolean
  readonly quiet: boolean
  readonly concurrency: Option.Option<number>
  readonly force: boolean
}

const usage = (message: string) => new CliExit({ code: 2, message: `asrflow: ${message}` })

/**
 * `asrflow transcribe <inputs>…` or `asrflow transcribe --audio …`.
 *
 * @since 0.1.0
 * @category commands
 */
export const transcribe = (flags: Flags) =>
  Effect.gen(function*() {
    const formats = Option.getOrElse(flags.format, () => [])
    if (flags.inputs.length > 0) {
      if (Option.isSome(flags.audio)) return yield* usage("give recordings as arguments or with --audio, not both")
      if (Option.isSome(flags.taskId)) return yield* usage("--task-id picks up one task: give no other recordings")
      if (Option.isSome(flags.output) || flags.printResponse) {
        return yield* usage(
          `${flags.printResponse ? "--print-response" : "--output"} is for one recording given with --audio; ` +
            "for recordings given as arguments use --output-dir (and --json for machine-readable output)"
        )
      }
      return yield* batch(flags, formats)
    }
    if (Option.isNone(flags.audio) && Option.isNone(flags.taskId)) {
      return yield* usage(
        "transcribe needs recordings: asrflow transcribe <file|dir|glob|url>… (or --audio PATH|URL, --task-id ID)"
      )
    }
    if (formats.length > 1) {
      return yield* usage("--audio writes one format: give one --format, or the inputs as arguments")
    }
    return yield* single(flags, formats[0])
  })

const requestOf = (flags: Flags, format: OneShot.Format | undefined): OneShot.Options => ({
  audio: Option.getOrElse(flags.audio, () => ""),
  provider: Option.getOrUndefined(flags.provider),
  task_id: Option.getOrUndefined(flags.taskId),
  wait: flags.wait,
  model: Option.getOrUndefined(flags.model),
  language_hints: splitList(flags.languageHints),
  sample_rate: Option.getOrUndefined(flags.sampleRate),
  vocabulary_id: Option.getOrUndefined(flags.vocabularyId),
  disfluency_removal_enabled: flags.disfluencyRemovalEnabled || undefined,
  timestamp_granularities: Option.getOrUndefined(flags.timestampGranularities),
  async: flags.async || undefined,
  context: Option.getOrUndefined(flags.context),
  enable_itn: flags.itn || undefined,
  region: Option.getOrUndefined(flags.region),
  poll_interval_secs: Option.getOrUndefined(flags.pollInterval),
  max_waits: Option.getOrUndefined(flags.maxWaits),
  output: Option.getOrUndefined(flags.output),
  output_dir: Option.getOrUndefined(flags.outputDir),
  format
})

/** The inputs as one batch: the same runner, ledger, sinks, progress and summary as `asrflow run`. */
const batch = (flags: Flags, formats: ReadonlyArray<OneShot.Format>) =>
  RunOutput.governed(
    flags.quiet,
    Effect.gen(function*() {
      const path = yield* Path.Path
      const registries = yield* CliRegistries
      // every flag is checked before the emulator starts or anything is read
      const { component } = yield* providerFor(requestOf(flags, undefined))
      const loaded = yield* OneShotPipeline.make(registries, {
        inputs: flags.inputs,
        provider: OneShot.requestBlock(component, requestOf(flags, undefined)),
        formats,
        outputDir: Option.getOrUndefined(flags.outputDir),
        concurrency: Option.getOrUndefined(flags.concurrency),
        baseDir: path.resolve(".")
      }).pipe(Effect.catchTag("UsageError", (error) => usage(error.message)))
      for (const warning of component.check(loaded.config.provider)) {
        yield* RunOutput.say(LogLevel.Warning, `asrflow: warning: ${warning}`)
      }
      return yield* withEmulator(
        flags.emulator,
        Effect.gen(function*() {
          const outcome = yield* PipelineRun.execute(loaded, {
            registries,
            force: flags.force,
            events: yield* Progress.forTerminal({ json: flags.json })
          }).pipe(Effect.catchTag("CredentialsError", exitOnCredentials))
          if (outcome._tag !== "Finished") return
          yield* RunOutput.summary(outcome.summary, outcome.outputRoot, outcome.summaryFile, outcome.listed)
          if (outcome.summary.exitCode !== 0) return yield* new CliExit({ code: outcome.summary.exitCode })
        })
      )
    })
  )

/** One recording with the original helper's behaviour: its text (or response) on stdout. */
const single = (flags: Flags, format: OneShot.Format | undefined) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const registries = yield* CliRegistries
    const options = requestOf(flags, format)
    // every flag is checked before the emulator starts or anything is read
    const { component, config } = yield* providerFor(options)
    return yield* withEmulator(
      flags.emulator,
      Effect.gen(function*() {
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
  })
