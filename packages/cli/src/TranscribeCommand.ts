/**
 * `asrflow transcribe`: one recording with the original helper's flags.
 *
 * @since 0.2.0
 */
import { Path } from "@effect/platform"
import { Console, Effect, Option } from "effect"
import { CliExit } from "./CliExit.js"
import { CliRegistries } from "./CliRegistries.js"
import { exitOnCredentials, providerFor, withEmulator } from "./CommandSupport.js"
import * as OneShot from "./OneShot.js"

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
  readonly format: Option.Option<OneShot.Format>
  readonly emulator: boolean
}) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const registries = yield* CliRegistries
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
      timestamp_granularities: Option.getOrUndefined(flags.timestampGranularities),
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
