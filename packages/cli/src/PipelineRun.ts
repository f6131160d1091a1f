/**
 * A whole pipeline run, shared by `asrflow run` and the Promise `runPipeline`: resolve the provider,
 * its key and the output root, build the run's services (RunLayer) and run, or plan (`--dry-run`).
 *
 * @since 0.1.0
 */
import {
  AudioProbe,
  OutputCheck,
  OutputRoot,
  Pipeline,
  Redact,
  RunContext,
  SourceCount,
  StopSignal
} from "@asrflow/core"
import type { Credentials, PipelineConfig, PipelineLoader, Summary } from "@asrflow/core"
import { RunSummary } from "@asrflow/sinks"
import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Config, Data, Effect, Fiber, LogLevel, Option, Redacted, Schema, Stream } from "effect"
import * as Progress from "./Progress.js"
import * as Registries from "./Registries.js"
import * as RunLayer from "./RunLayer.js"
import * as RunOutput from "./RunOutput.js"
import * as ServiceCheck from "./ServiceCheck.js"
import * as Version from "./Version.js"

/**
 * What a run gives back: a plan (`dryRun`), or the summary and where it was written.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = Data.TaggedEnum<{
  Planned: {
    /** The plan, listed and probed as it is read (a stream of any length in flat memory). */
    readonly planned: Stream.Stream<
      Pipeline.PlannedItem,
      Stream.Stream.Error<ReturnType<typeof Pipeline.planned>> | PlatformError
    >
    readonly outputRoot: string
  }
  Finished: {
    readonly summary: Summary.Summary
    readonly outputRoot: string
    readonly summaryFile: string
    /** How many items the sources listed, when counted before the run ended. */
    readonly listed: number | undefined
  }
}>

const Outcome = Data.taggedEnum<Outcome>()

/**
 * `--run` without a shared ledger: a usage error (exit 2).
 *
 * @since 0.2.0
 * @category errors
 */
export class RunNameError extends Schema.TaggedError<RunNameError>("@asrflow/cli/RunNameError")("RunNameError", {
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly registries: PipelineConfig.Registries
  readonly outputDir?: string | undefined
  readonly concurrency?: number | undefined
  readonly force?: boolean | undefined
  readonly dryRun?: boolean | undefined
  /** The library's explicit key (`api_key`); otherwise the provider looks where it looks. */
  readonly apiKey?: string | undefined
  readonly events: RunLayer.Options["events"]
  /** `--ledger URL` (else `ASRFLOW_LEDGER_URL`, else the pipeline's `ledger:`): a PostgreSQL ledger. */
  readonly ledger?: Redacted.Redacted<string> | undefined
  /** `--run NAME`: join the run of that name shared by workers (needs a PostgreSQL ledger). */
  readonly runName?: string | undefined
  /** `--lease-seconds`: how long a worker's claim lasts without a heartbeat (default 30). */
  readonly leaseSeconds?: number | undefined
}

const env = (name: string) => Config.option(Config.string(name)).pipe(Effect.orElseSucceed(() => Option.none()))

/**
 * The default lease of a claimed item: a worker silent this long is taken to be gone.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultLeaseSeconds = 30

/**
 * The ledger URL of a run: the flag, else `ASRFLOW_LEDGER_URL`, else the pipeline's `ledger:`. A URL holds
 * a password, so it stays `Redacted` from here on.
 *
 * @since 0.2.0
 * @category utils
 */
export const ledgerUrl = (flag: Redacted.Redacted<string> | undefined, pipeline: string | undefined) =>
  Effect.map(
    Config.option(Config.redacted("ASRFLOW_LEDGER_URL")),
    (env) => flag ?? Option.getOrUndefined(env) ?? (pipeline === undefined ? undefined : Redacted.make(pipeline))
  )

// a plan sends nothing, so it needs no key: a placeholder stands in when none is configured
const planningKey: Credentials.Resolved = { key: Redacted.make("dry-run-without-a-key"), source: "(none: dry run)" }

/**
 * Runs a loaded pipeline: resolves the output root and the provider's key, builds the run's services
 * and runs (or plans).
 *
 * @since 0.1.0
 * @category constructors
 */
export const execute = (loaded: PipelineLoader.Loaded, options: Options) =>
  Effect.gen(function*() {
    const { config } = loaded
    const provider = yield* Registries.provider(options.registries, config.provider.type)
    const outputRoot = yield* OutputRoot.resolve({
      flag: options.outputDir,
      pipeline: config.output_dir,
      providerFolder: provider.outputFolder
    })
    // a root that cannot take the outputs stops the run before any request (a plan only checks it could)
    yield* OutputCheck.prepare(outputRoot, { create: options.dryRun !== true })
    if (options.dryRun) {
      const credentials = yield* provider.credentials.resolve(options.apiKey).pipe(
        Effect.orElseSucceed(() => planningKey)
      )
      // sinks are built only to name their outputs: give them a scratch root, so a plan leaves no file
      // what the plan's components use (files, commands, HTTP) comes from here: the stream needs nothing
      const services = yield* Effect.context<Exclude<Pipeline.ComponentEnvironment, RunContext.RunContext>>()
      const planned = Stream.unwrapScoped(Effect.gen(function*() {
        const scratch = yield* (yield* FileSystem.FileSystem).makeTempDirectoryScoped({ prefix: "asrflow-plan-" })
        const context = RunContext.RunContext.of({
          baseDir: loaded.baseDir,
          outputRoot: scratch,
          runId: "dry-run",
          startedAt: new Date(0)
        })
        return Pipeline.planned(config, options.registries, credentials).pipe(
          Stream.provideSomeLayer(AudioProbe.AudioProbe.Default),
          Stream.provideService(RunContext.RunContext, context)
        )
      })).pipe(Stream.provideContext(services))
      return Outcome.Planned({ planned, outputRoot })
    }
    const credentials = yield* provider.credentials.resolve(options.apiKey)
    const ledger = yield* ledgerUrl(options.ledger, config.ledger)
    if (options.runName !== undefined && ledger === undefined) {
      return yield* new RunNameError({
        description: `--run ${options.runName} joins a run shared through a PostgreSQL ledger: give --ledger ` +
          "postgres://… (or set ASRFLOW_LEDGER_URL)"
      })
    }
    yield* ServiceCheck.run(provider, config.provider, credentials)
    const runId = yield* OutputRoot.runId
    // telemetry loads only when asked for: a run without it imports none of it
    const endpoint = config.telemetry?.endpoint ?? Option.getOrUndefined(yield* env("OTEL_EXPORTER_OTLP_ENDPOINT"))
    const disabled = Option.getOrUndefined(yield* env("OTEL_SDK_DISABLED"))?.toLowerCase() === "true"
    const telemetry = endpoint !== undefined && endpoint !== "" && !disabled
      ? yield* Effect.promise(() => import("./Telemetry.js"))
      : undefined
    const layer = RunLayer.make({
      baseDir: loaded.baseDir,
      outputRoot,
      runId,
      registries: options.registries,
      credentials,
      events: telemetry === undefined ? options.events : {
        ...options.events,
        onEvent: (event) => {
          telemetry.observe(event)
          options.events.onEvent?.(event)
        }
      },
      ledger: ledger === undefined ? undefined : {
        url: ledger,
        runName: options.runName,
        leaseMs: (options.leaseSeconds ?? defaultLeaseSeconds) * 1000
      }
    })
    const stop = Option.getOrUndefined(yield* Effect.serviceOption(StopSignal.StopSignal))
    const batch = Effect.scoped(Effect.gen(function*() {
      const progress = yield* Progress.RunProgress
      if (stop !== undefined) {
        yield* Effect.forkScoped(Effect.flatMap(stop.requested, (signal) =>
          progress.displaying(RunOutput.say(
            LogLevel.Warning,
            `asrflow: ${signal}: stopping: no new items; requests in flight get ${stop.graceMs / 1000} s to finish, ` +
              "async tasks stay recorded for the next run (send it again to exit at once)"
          ))))
      }
      // the total for the progress, counted alongside the run (a files source keeps nothing to count)
      const counting = yield* Effect.forkScoped(
        Effect.flatMap(SourceCount.count(config, options.registries), progress.setTotal)
      )
      const summary = yield* progress.displaying(Pipeline.run(config, options.registries, {
        concurrency: options.concurrency,
        force: options.force,
        credentials
      }))
      // the run listed every source itself, so the count is done or nearly: the last frame shows the total
      if (summary.stopped === undefined) yield* Fiber.join(counting)
      yield* Effect.annotateCurrentSpan({
        "asrflow.total": summary.total,
        "asrflow.done": summary.done,
        "asrflow.failed": summary.failed,
        "asrflow.skipped": summary.skipped,
        "asrflow.audio_seconds": summary.audio_seconds,
        "asrflow.billed_seconds": summary.billed_seconds,
        "asrflow.exit_code": summary.exitCode
      })
      const summaryFile = yield* RunSummary.write(summary)
      yield* progress.finish(summary, summary.exitCode)
      return Outcome.Finished({ summary, outputRoot, summaryFile, listed: yield* progress.total })
    })).pipe(
      Effect.withSpan("asrflow.run", {
        attributes: {
          "asrflow.run_id": runId,
          "asrflow.provider": config.provider.type,
          "asrflow.model": String((config.provider as { readonly model?: unknown }).model ?? "(the provider's)"),
          "asrflow.concurrency": options.concurrency ?? config.concurrency
        }
      })
    )
    // a signal during the batch stops it gracefully (the summary is still written) instead of interrupting it
    const running = (stop === undefined ? batch : stop.listening(batch)).pipe(Effect.provide(layer))
    // without an exporter no span is read: the tracer is off, so items, phases and requests open none (and no
    // request carries trace headers to the provider)
    if (telemetry === undefined) return yield* Effect.withTracerEnabled(running, false)
    return yield* telemetry.around({
      endpoint: endpoint!,
      redactor: Redact.make([credentials.key]),
      config: config.telemetry,
      version: Version.version
    })(running)
  })
