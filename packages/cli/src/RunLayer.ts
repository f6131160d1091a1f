/**
 * The one builder of a run's services, used by `asrflow run`, `asrflow transcribe` and the Promise API:
 * the run's context, a redactor that knows the provider's key, the ledger in the output root (SQLite,
 * migrated with every registered provider's migrations), the run log (with the progress on stderr,
 * `--json` on stdout or an `onEvent` callback), and the audio probe.
 *
 * @since 0.2.0
 */
import { AudioProbe, Ledger, OutputCheck, Redact, RunContext } from "@asrflow/core"
import type { Credentials, PipelineConfig } from "@asrflow/core"
import * as RateController from "@asrflow/core/RateController"
import { Path } from "@effect/platform"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Cause, Clock, Effect, Layer } from "effect"
import type { Redacted } from "effect"
import * as Progress from "./Progress.js"
import * as RunOwnership from "./RunOwnership.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The directory relative source paths resolve against. */
  readonly baseDir: string
  readonly outputRoot: string
  readonly runId: string
  readonly registries: PipelineConfig.Registries
  /** The provider's key: the redactor removes it from everything written. */
  readonly credentials: Credentials.Resolved
  /** Where the run's events go besides the run log: progress on stderr, `--json` on stdout, a callback. */
  readonly events: Progress.Options
  /** A PostgreSQL ledger instead of the SQLite file in the output root (`PgLedger`). */
  readonly ledger?: {
    readonly url: Redacted.Redacted<string>
    readonly runName?: string | undefined
    readonly leaseMs: number
  } | undefined
}

/**
 * The ledger file of an output root.
 *
 * @since 0.2.0
 * @category utils
 */
export const ledgerFile = (path: Path.Path, outputRoot: string): string => path.join(outputRoot, "ledger.sqlite")

/**
 * The ledger of an output root, migrated with the migrations of every registered provider. A file that
 * cannot be opened as the ledger (not a database, a directory in its place) is one `OutputRootError`.
 *
 * @since 0.2.0
 * @category layers
 */
export const ledgerLayer = (file: string, registries: PipelineConfig.Registries) =>
  Ledger.layer(registries.providers.components.flatMap((component) => component.migrations ?? [])).pipe(
    Layer.provide(SqliteClient.layer({ filename: file })),
    // the SQLite driver throws while opening: that is a defect here, and still the user's file
    Layer.catchAllCause((cause) =>
      Layer.fail(
        new OutputCheck.OutputRootError({
          path: file,
          reason: "Ledger",
          description: `the ledger ${file} cannot be opened (${
            Cause.squash(cause) instanceof Error ? (Cause.squash(cause) as Error).message : Cause.pretty(cause)
          }); if it is not an asrflow ledger, move it away (the run then starts afresh)`
        })
      )
    )
  )

// PostgreSQL's driver loads only for a run that uses it
const pgLedger = (ledger: NonNullable<Options["ledger"]>, registries: PipelineConfig.Registries) =>
  Effect.map(Effect.promise(() => import("./PgLedger.js")), (module) => module.layer({ ...ledger, registries }))

/**
 * Checks (and creates) the output root and builds the run's services.
 *
 * @since 0.2.0
 * @category layers
 */
export const make = (options: Options) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const path = yield* Path.Path
    yield* OutputCheck.prepare(options.outputRoot)
    const startedAt = new Date(yield* Clock.currentTimeMillis)
    const context = Layer.succeed(
      RunContext.RunContext,
      RunContext.RunContext.of({
        baseDir: options.baseDir,
        outputRoot: options.outputRoot,
        runId: options.runId,
        startedAt
      })
    )
    const ledger = options.ledger === undefined
      ? ledgerLayer(ledgerFile(path, options.outputRoot), options.registries)
      : yield* pgLedger(options.ledger, options.registries)
    // the run's one rate controller: the provider's lanes live in it (in a shared run, their state is the
    // ledger's LaneStore), the progress shows them, and what they learned is written to the ledger at the end
    const lanes = RateController.layer.pipe(Layer.provide(ledger))
    const events = Progress.layer(options.events).pipe(Layer.provideMerge(lanes))
    return Layer.mergeAll(
      events,
      // the run claims the output root (and clears what killed runs left) before anything is written
      Layer.merge(ledger, RunOwnership.layer.pipe(Layer.provide(ledger))),
      AudioProbe.AudioProbe.Default
    ).pipe(
      Layer.provideMerge(
        Layer.mergeAll(
          context,
          Redact.layer([options.credentials.key, ...(options.ledger ? [options.ledger.url] : [])])
        )
      )
    )
  }))
