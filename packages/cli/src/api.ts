/**
 * The Promise API, for code that does not use Effect:
 *
 * ```ts
 * import { runPipeline, transcribe } from "@asrflow/cli/api"
 * const response = await transcribe({ audio: "meeting.wav", model: "qwen3-asr-flash" })
 * const summary = await runPipeline("pipeline.yaml")
 * ```
 *
 * Both reject with an `AsrflowError` that has a `reason` and a message saying what to do. The types are
 * plain data (`ApiModels.ts`): using this API needs neither Effect nor the other asrflow packages.
 *
 * @since 0.1.0
 */
import { PipelineLoader } from "@asrflow/core"
import type { HttpClient } from "@effect/platform"
import { Path } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { Cause, Console, Effect, Exit, Layer, Logger, LogLevel, Option, Predicate } from "effect"
import type * as ApiModels from "./ApiModels.js"
import * as KeylessMode from "./KeylessMode.js"
import * as NodeDirectoryEntries from "./NodeDirectoryEntries.js"
import * as NodeFileHeads from "./NodeFileHeads.js"
import * as NodeFileStamps from "./NodeFileStamps.js"
import * as OneShot from "./OneShot.js"
import * as PipelineRun from "./PipelineRun.js"
import { builtIn as registries } from "./Registries.js"

/**
 * Every rejection of the Promise API. `reason` is machine-readable: `Config` (a bad pipeline),
 * `Usage` (bad options), `MissingApiKey`, a `TranscriptionError` reason (`Unauthorized`, `Throttled`,
 * `InvalidAudio`, `Unreachable`, …), a probe reason (`Empty`, `NotAudio`, `Corrupt`, …), `ServiceCheck`
 * (the check before the first item failed), an output-root reason (`NotCreatable`, `NotADirectory`,
 * `NotWritable`, `NoSpace`, `Unresponsive`, `Ledger`) or `Internal`.
 *
 * @since 0.1.0
 * @category errors
 */
export class AsrflowError extends Error {
  override readonly name = "AsrflowError"
  constructor(readonly reason: string, message: string, override readonly cause?: unknown) {
    super(message)
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CommonOptions {
  /** Run against the embedded emulator (no key; synthetic transcripts). */
  readonly emulator?: boolean | undefined
  /** Write under this directory instead of `${OUTPUT_DIR:-output}/<the provider's folder>` (e.g. aliyun-qwen-asr). */
  readonly outputDir?: string | undefined
  /**
   * Print progress lines and warnings on stderr, as the CLI does. By default nothing is printed
   * (`transcribe` returns its warnings, and a run's events are in its run log).
   */
  readonly verbose?: boolean | undefined
}

const reasonOf = (error: unknown): string => {
  if (Predicate.isTagged(error, "PipelineConfigError")) return "Config"
  if (Predicate.isTagged(error, "UsageError")) return "Usage"
  if (Predicate.isTagged(error, "CredentialsError")) {
    return Predicate.hasProperty(error, "reason") && error.reason === "Malformed" ? "MalformedApiKey" : "MissingApiKey"
  }
  if (Predicate.hasProperty(error, "reason") && typeof error.reason === "string") return error.reason
  return "Internal"
}

// A library stays off the host program's stderr unless asked: progress goes through Console.error.
const withoutStderr = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Console.consoleWith((console) =>
    Console.withConsole(effect, {
      ...console,
      error: () => Effect.void,
      warn: () => Effect.void,
      unsafe: { ...console.unsafe, error: () => {}, warn: () => {} }
    })
  )

const runPromise = <A, E>(
  effect: Effect.Effect<A, E, NodeContext.NodeContext | PipelineLoader.PipelineLoader | HttpClient.HttpClient>,
  options: CommonOptions
) =>
  Effect.runPromiseExit(
    effect.pipe(
      Effect.provide(KeylessMode.layer(options.emulator ?? false, registries, { quiet: true })),
      Effect.provide(
        Layer.mergeAll(
          PipelineLoader.PipelineLoader.Default,
          NodeHttpClient.layerUndici,
          NodeDirectoryEntries.layer,
          NodeFileStamps.layer,
          NodeFileHeads.layer
        ).pipe(Layer.provideMerge(NodeContext.layer))
      ),
      options.verbose === true
        ? Effect.provide(Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true })))
        : (self) => withoutStderr(Effect.provide(self, Logger.remove(Logger.defaultLogger))),
      // verbose shows what the command line shows by default: a line per item, warnings and failures
      Logger.withMinimumLogLevel(options.verbose === true ? LogLevel.Info : LogLevel.Warning)
    )
  ).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure)) {
      const error = failure.value
      const message = Predicate.hasProperty(error, "message") ? String(error.message) : String(error)
      throw new AsrflowError(reasonOf(error), message, error)
    }
    throw new AsrflowError("Internal", Cause.pretty(exit.cause))
  })

/**
 * The data types of the Promise API.
 *
 * @since 0.1.0
 */
export type {
  Format,
  ItemEvent,
  NormalizedResponse,
  Phase,
  RunEvent,
  RunSummary,
  Sentence,
  SummaryEvent,
  TranscribeRequest,
  TranscribeResult,
  Transcript,
  Word
} from "./ApiModels.js"

/**
 * Transcribes one recording (a local path or a URL) and resolves to the normalized response
 * `{text, task_id, status, raw}`, plus the canonical transcript and the files written.
 *
 * @since 0.1.0
 * @category api
 */
export const transcribe = (
  request: ApiModels.TranscribeRequest,
  options: CommonOptions = {}
): Promise<ApiModels.TranscribeResult> =>
  runPromise(
    Effect.map(
      OneShot.execute(registries, { ...request, output_dir: options.outputDir }),
      (done) => ({
        ...OneShot.normalized(done.transcript),
        transcript: done.transcript,
        files: done.files,
        warnings: done.warnings
      })
    ),
    options
  )

/**
 * @since 0.1.0
 * @category models
 */
export interface RunOptions extends CommonOptions {
  readonly concurrency?: number | undefined
  readonly force?: boolean | undefined
  /** Where relative paths of a pipeline given as an object resolve (default: the current directory). */
  readonly baseDir?: string | undefined
  /** The provider's key; otherwise the provider looks where it looks (e.g. DASHSCOPE_API_KEY). */
  readonly apiKey?: string | undefined
  /**
   * Called with every event of the run as it happens (the same objects as the run log and
   * `asrflow run --json`; schema: `asrflow schema --events`), the summary event last. Without it, and
   * without `verbose`, the run prints nothing.
   */
  readonly onEvent?: ((event: ApiModels.RunEvent) => void) | undefined
}

/**
 * Runs a pipeline, given as a YAML file path or as an object of the same shape, and resolves to its
 * summary (check `summary.failed`: failed items do not reject).
 *
 * @since 0.1.0
 * @category api
 */
export const runPipeline = (
  pipeline: string | object,
  options: RunOptions = {}
): Promise<ApiModels.RunSummary> =>
  runPromise(
    Effect.gen(function*() {
      const path = yield* Path.Path
      const loaded: PipelineLoader.Loaded = typeof pipeline === "string"
        ? yield* PipelineLoader.PipelineLoader.load(pipeline, registries)
        : {
          config: yield* PipelineLoader.decodeObject(pipeline, registries),
          file: "<object>",
          baseDir: path.resolve(options.baseDir ?? ".")
        }
      const outcome = yield* PipelineRun.execute(loaded, {
        registries,
        outputDir: options.outputDir,
        concurrency: options.concurrency,
        force: options.force,
        apiKey: options.apiKey,
        events: { display: options.verbose === true ? "lines" : "none", onEvent: options.onEvent }
      })
      if (outcome._tag !== "Finished") return yield* Effect.dieMessage("a run without dryRun always finishes")
      return outcome.summary
    }),
    options
  )
