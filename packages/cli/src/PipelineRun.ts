/**
 * A whole pipeline run, shared by `asrflow run` and the Promise `runPipeline`.
 *
 * @since 0.1.0
 */
import { AudioProbe, Ledger, Pipeline, Redact, RunContext } from "@asrflow/core"
import type { PipelineLoader, Summary } from "@asrflow/core"
import { Credentials, QwenProvider } from "@asrflow/providers"
import { RunSummary } from "@asrflow/sinks"
import { FileSystem, Path } from "@effect/platform"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { ConfigProvider, Data, Effect, identity, Layer } from "effect"
import * as OutputRoot from "./OutputRoot.js"
import * as Progress from "./Progress.js"
import { registries } from "./Registries.js"

/**
 * The layers every run shares: its context, the probe, the run log, the ledger in the output root,
 * and a redactor that knows the API key.
 *
 * @since 0.1.0
 * @category layers
 */
export const runLayer = (options: { readonly baseDir: string; readonly outputRoot: string; readonly runId: string }) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const fs = yield* FileSystem.FileSystem
    yield* fs.makeDirectory(options.outputRoot, { recursive: true })
    const { key } = yield* Credentials.resolveApiKey().pipe(Effect.mapError(QwenProvider.missingKey))
    const context = Layer.succeed(
      RunContext.RunContext,
      RunContext.RunContext.of({ ...options, startedAt: new Date() })
    )
    const ledger = Ledger.layer.pipe(
      Layer.provide(SqliteClient.layer({ filename: path.join(options.outputRoot, "ledger.sqlite") }))
    )
    return Layer.mergeAll(Progress.layer, ledger, AudioProbe.AudioProbe.Default).pipe(
      Layer.provideMerge(Layer.mergeAll(context, Redact.layer([key])))
    )
  })

/**
 * What a run gives back: a plan (`dryRun`), or the summary and where it was written.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = Data.TaggedEnum<{
  Planned: { readonly planned: ReadonlyArray<Pipeline.PlannedItem>; readonly outputRoot: string }
  Finished: { readonly summary: Summary.Summary; readonly outputRoot: string; readonly summaryFile: string }
}>

const Outcome = Data.taggedEnum<Outcome>()

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly outputDir?: string | undefined
  readonly concurrency?: number | undefined
  readonly force?: boolean | undefined
  readonly dryRun?: boolean | undefined
}

/**
 * Runs a loaded pipeline: resolves the output root, composes the run's layers and runs (or plans).
 *
 * @since 0.1.0
 * @category constructors
 */
export const execute = (loaded: PipelineLoader.Loaded, options: Options = {}) =>
  Effect.gen(function*() {
    const { config } = loaded
    const outputRoot = yield* OutputRoot.resolve(options.outputDir, config.output_dir)
    if (options.dryRun) {
      // a plan sends nothing, so it needs no key: a placeholder stands in when none is configured
      const hasKey = yield* Effect.isSuccess(Credentials.resolveApiKey())
      // sinks are built only to name their outputs: give them a scratch root, so a plan leaves no file
      const planned = yield* Effect.scoped(Effect.gen(function*() {
        const scratch = yield* (yield* FileSystem.FileSystem).makeTempDirectoryScoped({ prefix: "asrflow-plan-" })
        const context = RunContext.RunContext.of({
          baseDir: loaded.baseDir,
          outputRoot: scratch,
          runId: "dry-run",
          startedAt: new Date()
        })
        return yield* Pipeline.plan(config, registries).pipe(
          Effect.provide(AudioProbe.AudioProbe.Default),
          Effect.provideService(RunContext.RunContext, context)
        )
      })).pipe(
        hasKey ? identity : Effect.withConfigProvider(
          ConfigProvider.fromMap(new Map([["DASHSCOPE_API_KEY", "dry-run-without-a-key"]])).pipe(
            ConfigProvider.orElse(() => ConfigProvider.fromEnv())
          )
        )
      )
      return Outcome.Planned({ planned, outputRoot })
    }
    const layer = yield* runLayer({ baseDir: loaded.baseDir, outputRoot, runId: OutputRoot.makeRunId(new Date()) })
    return yield* Effect.gen(function*() {
      const summary = yield* Pipeline.run(config, registries, {
        concurrency: options.concurrency,
        force: options.force
      })
      const summaryFile = yield* RunSummary.write(summary)
      return Outcome.Finished({ summary, outputRoot, summaryFile })
    }).pipe(Effect.provide(layer))
  })
