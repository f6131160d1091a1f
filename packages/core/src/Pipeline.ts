/**
 * Runs a decoded pipeline: builds its sources, provider and sinks from the registries and hands
 * them to the runner. This is the Effect entry point for library users.
 *
 * @since 0.1.0
 */
import { FileSystem, Path } from "@effect/platform"
import type { CommandExecutor, HttpClient } from "@effect/platform"
import { Chunk, Context, Effect, Layer, Option, Stream, Tracer } from "effect"
import type { ConfigError, Scope } from "effect"
import type { AudioItem } from "./AudioItem.js"
import { AudioProbe } from "./AudioProbe.js"
import type { SourceEntry } from "./AudioSource.js"
import type * as Component from "./Component.js"
import * as ConnectionGuard from "./ConnectionGuard.js"
import type * as Credentials from "./Credentials.js"
import * as Fingerprint from "./Fingerprint.js"
import * as InFlightAudio from "./InFlightAudio.js"
import * as OrderedWorkers from "./internal/orderedWorkers.js"
import * as KnownFiles from "./KnownFiles.js"
import { Ledger } from "./Ledger.js"
import type { PipelineConfig, Registries } from "./PipelineConfig.js"
import * as PipelineRunner from "./PipelineRunner.js"
import * as RateController from "./RateController.js"
import { RunContext } from "./RunContext.js"
import * as SharedRun from "./SharedRun.js"
import { outputsOf } from "./Sink.js"
import type { Sink, SinkError } from "./Sink.js"
import { emptySource, nothingMatched } from "./SourceWarnings.js"
import { Summary } from "./Summary.js"
import { Transcriber } from "./Transcriber.js"
import type { Plan, TranscriptionError } from "./Transcriber.js"
import { WorkQueue } from "./WorkQueue.js"

/**
 * The services a pipeline's components may require. The edge (the CLI, the Promise API) provides
 * them all; optional services (`Ledger`, `RunEvents`, `Redactor`) are used when present.
 *
 * @since 0.1.0
 * @category models
 */
export type Environment = ComponentEnvironment | AudioProbe

/**
 * What a component (source, provider or sink) may require.
 *
 * @since 0.1.0
 * @category models
 */
export type ComponentEnvironment =
  | FileSystem.FileSystem
  | Path.Path
  | CommandExecutor.CommandExecutor
  | HttpClient.HttpClient
  | RunContext

/**
 * Looks a decoded component config up in its registry. The loader has already checked the type,
 * so a miss is a bug (a defect).
 *
 * @since 0.1.0
 * @category utils
 */
export const componentFor = <A extends Component.Any>(
  registry: { readonly get: (type: string) => A | undefined },
  config: Component.Typed
): Effect.Effect<A> =>
  Effect.suspend(() => {
    const component = registry.get(config.type)
    return component === undefined
      ? Effect.dieMessage(`No component registered for type "${config.type}"`)
      : Effect.succeed(component)
  })

/**
 * Every source of the pipeline, one after the other, as one stream of entries.
 *
 * @since 0.1.0
 * @category constructors
 */
export const entries = (
  config: PipelineConfig,
  registries: Registries,
  options: {
    /** Log a warning for each source that yields nothing at all (an empty folder, a glob that matches nothing). */
    readonly warnEmpty?: boolean | undefined
  } = {}
): Stream.Stream<SourceEntry, never, ComponentEnvironment> =>
  Stream.concatAll<SourceEntry, never, ComponentEnvironment>(Chunk.fromIterable(
    config.sources.map((source, index) =>
      Stream.unwrap(Effect.gen(function*() {
        const component = yield* componentFor(registries.sources, source)
        if (options.warnEmpty !== true) return component.make(source)
        // counted a chunk at a time: an effect per entry costs dearly under the runner's `interruptWhen`
        let seen = 0
        return component.make(source).pipe(
          Stream.mapChunks((chunk) => {
            seen += chunk.length
            return chunk
          }),
          Stream.concat(Stream.drain(Stream.fromEffect(Effect.suspend(() =>
            seen > 0 ? Effect.void : Effect.logWarning(emptySource(index, source))
          ))))
        )
      }))
    )
  ))

/**
 * @since 0.2.0
 */
export { emptySource, nothingMatched } from "./SourceWarnings.js"

/**
 * The pipeline's provider as a `Transcriber` layer, with the given key or, without one, the key the
 * provider finds where it looks (its `credentials`).
 *
 * @since 0.1.0
 * @category layers
 */
export const transcriberLayer = (
  config: PipelineConfig,
  registries: Registries,
  credentials?: Credentials.Resolved | undefined
): Layer.Layer<
  Transcriber,
  TranscriptionError | Credentials.CredentialsError | ConfigError.ConfigError,
  Environment
> =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const component = yield* componentFor(registries.providers, config.provider)
      const resolved = credentials ?? (yield* component.credentials.resolve())
      return component.layer(config.provider, resolved)
    })
  )

/**
 * Builds every sink of the pipeline; they stay open until the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sinks = (
  config: PipelineConfig,
  registries: Registries
): Effect.Effect<ReadonlyArray<Sink.Service>, SinkError, Environment | Scope.Scope> =>
  Effect.forEach(
    config.sinks,
    (sink) => Effect.flatMap(componentFor(registries.sinks, sink), (component) => component.make(sink))
  )

/** The context's rate controller when it has one (a CLI run shows its lanes), else one for this run. */
const runController = Layer.unwrapEffect(
  Effect.map(
    Effect.serviceOption(RateController.RateController),
    Option.match({
      onNone: () => RateController.layer,
      onSome: (controller) => Layer.succeed(RateController.RateController, controller)
    })
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  readonly concurrency?: number | undefined
  /** Transcribe items again even when the ledger has them done. */
  readonly force?: boolean | undefined
  /** The provider's key; without it, the provider looks where its `credentials` say. */
  readonly credentials?: Credentials.Resolved | undefined
}

/**
 * Runs the pipeline to its summary. Needs a `RunContext`, an `AudioProbe` and whatever the
 * registered components need (FileSystem, Path, HttpClient, ...). With a `Ledger` in the
 * environment, items already done are skipped and finished ones are recorded.
 *
 * @since 0.1.0
 * @category constructors
 */
export const run = (
  config: PipelineConfig,
  registries: Registries,
  options: RunOptions = {}
): Effect.Effect<
  Summary,
  SinkError | TranscriptionError | Credentials.CredentialsError | ConfigError.ConfigError,
  Environment
> =>
  Effect.scoped(
    Effect.gen(function*() {
      const context = yield* RunContext
      const probe = yield* AudioProbe
      const transcriber = yield* Transcriber
      const ledger = Option.getOrUndefined(yield* Effect.serviceOption(Ledger))
      const built = yield* sinks(config, registries)
      // sources need the same environment as the run (FileSystem, RunContext, ...)
      // without the run's span: what runs in it (an item's probe) stays under the span it runs in
      const environment = Context.omit(Tracer.ParentSpan)(yield* Effect.context<Environment>()) as Context.Context<
        Environment
      >
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      // --force starts every item it runs afresh: nothing recorded for it (an upload) is reused
      const fresh = options.force === true && ledger !== undefined
        ? Transcriber.of({
          ...transcriber,
          transcribe: (item) =>
            Effect.zipRight(
              item.fingerprint === undefined ? Effect.void : ledger.clearStages(item.fingerprint),
              transcriber.transcribe(item)
            )
        })
        : transcriber
      // a service that went away stops the run once, instead of failing every remaining item
      const guarded = yield* ConnectionGuard.make(fresh)
      const outputsPresent = (item: AudioItem) =>
        Effect.forEach(
          outputsOf(built, item),
          (file) => fs.exists(path.resolve(context.outputRoot, file)).pipe(Effect.orElseSucceed(() => false))
        ).pipe(Effect.map((found) => found.every(Boolean)))
      // done in the ledger: skipped; with --force only while every output of the item is still in place
      const lookUpDone = (item: AudioItem): Effect.Effect<boolean> =>
        ledger === undefined || item.fingerprint === undefined
          ? Effect.succeed(false)
          : Effect.flatMap(
            ledger.isDone(item.fingerprint),
            (done) => done && options.force === true ? outputsPresent(item) : Effect.succeed(done)
          )
      // the probe asks first and the runner right after: the answer is kept for that one second question
      const answered = new Map<string, boolean>()
      const isDone = (item: AudioItem): Effect.Effect<boolean> =>
        Effect.suspend(() => {
          const known = item.fingerprint === undefined ? undefined : answered.get(item.fingerprint)
          if (known === undefined) return lookUpDone(item)
          answered.delete(item.fingerprint!)
          return Effect.succeed(known)
        })
      const probedDone = (item: AudioItem): Effect.Effect<boolean> =>
        Effect.tap(lookUpDone(item), (done) => {
          if (item.fingerprint !== undefined) answered.set(item.fingerprint, done)
        })
      // small files read once: the bytes the probe read and hashed are sent; none held while a remote task runs
      const inFlight = yield* InFlightAudio.make
      const examined = (item: AudioItem) =>
        probe.inspect(item).pipe(
          Effect.mapError((error) =>
            new PipelineRunner.ItemFailure({ reason: error.reason, description: error.message })
          ),
          // a small file the probe read whole is hashed from those bytes, not read a second time
          Effect.flatMap(({ bytes, item: probed, stamp }) =>
            Fingerprint.applyWith(fs, probed, transcriber.requestKey(probed), ledger, bytes).pipe(
              Effect.mapError((error) =>
                new PipelineRunner.ItemFailure({ reason: "Unreadable", description: `${item.id}: ${error.message}` })
              ),
              // what it is, under the stamp it was read with: a resumed run knows it without reading it
              Effect.tap((fingerprinted) =>
                ledger === undefined ? Effect.void : KnownFiles.remember(ledger, stamp, fingerprinted)
              ),
              Effect.map((fingerprinted) => ({ item: fingerprinted, bytes }))
            )
          )
        )
      const fingerprinted = (item: AudioItem) => Effect.map(examined(item), (examined) => examined.item)
      const runnerOptions: PipelineRunner.Options = {
        runId: context.runId,
        entries: Stream.provideContext(entries(config, registries, { warnEmpty: true }), environment),
        sinks: built,
        concurrency: options.concurrency ?? config.concurrency,
        probe: (item) =>
          examined(item).pipe(
            // the whole-file integrity check only for an item about to be sent (plans and skips stay fast)
            Effect.flatMap(({ bytes, item: fingerprinted }) =>
              Effect.flatMap(probedDone(fingerprinted), (done) =>
                done ? Effect.succeed(fingerprinted) : probe.verify(fingerprinted).pipe(
                  Effect.mapError((error) =>
                    new PipelineRunner.ItemFailure({ reason: error.reason, description: error.message })
                  ),
                  // a failed item is not asked about again: nothing of it stays behind
                  Effect.onError(() => Effect.sync(() => answered.delete(fingerprinted.fingerprint!))),
                  // about to be sent: its provider may take the bytes read and hashed
                  Effect.map(() => {
                    if (bytes !== undefined) {
                      inFlight.hold(fingerprinted, bytes)
                    }
                    return fingerprinted
                  })
                ))
            )
          ),
        isDone: ledger === undefined ? undefined : isDone,
        // an unchanged file the ledger has done is skipped before it is opened (not with --force: its outputs
        // are checked then; not when the ledger remembers no file: nothing to look up)
        knownDone: ledger === undefined || options.force === true || !(yield* ledger.remembersFiles)
          ? undefined
          : (items) =>
            KnownFiles.knownDone(ledger, transcriber.requestKey)(items).pipe(Effect.provide(environment)),
        outputPath: (relative) => path.resolve(context.outputRoot, relative),
        markDone: ledger
          ? (item) => item.fingerprint === undefined ? Effect.void : ledger.markDone(item.fingerprint, item.id)
          : undefined,
        remoteWait: inFlight.letGo
      }
      // a run shared by workers: items come from the work table, and each one's records are fenced by its lease
      const queue = Option.getOrUndefined(yield* Effect.serviceOption(WorkQueue))
      const shared = queue !== undefined && ledger !== undefined
      const summary = yield* PipelineRunner.run(
        shared ? SharedRun.options(queue, ledger, runnerOptions, fingerprinted) : runnerOptions
      ).pipe(
        Effect.provideService(Transcriber, inFlight.releasing(shared ? SharedRun.transcriber(guarded) : guarded)),
        Effect.provideService(InFlightAudio.InFlightAudio, inFlight.service)
      )
      // a worker of a shared run may find every item already claimed by others: that is not an empty source
      return summary.total > 0 || shared
        ? summary
        : new Summary({ ...summary, errors: [...summary.errors, nothingMatched] })
    })
  ).pipe(
    // one rate controller for the run (the caller's, when it gives one): the provider's lanes live in it,
    // and the summary reports them
    Effect.provide(
      transcriberLayer(config, registries, options.credentials).pipe(Layer.provideMerge(runController))
    )
  )

/**
 * One planned item for `--dry-run`: where it comes from, how it would be routed, and its cost.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlannedItem {
  readonly item: AudioItem
  readonly plan?: Plan | undefined
  readonly rejected?: string | undefined
  readonly outputs: ReadonlyArray<string>
}

/** How many items are planned at a time: the chunks of the plan's stream (a printer writes one per chunk). */
const planChunk = 256

/**
 * Lists, probes and routes the items one chunk after the other, in the order the sources list them,
 * without transcribing anything: nothing is kept once emitted, so a plan of any size runs in flat memory.
 * A file is probed from its first bytes where they tell its duration (`AudioProbe.probe`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const planned = (
  config: PipelineConfig,
  registries: Registries,
  credentials?: Credentials.Resolved | undefined
): Stream.Stream<
  PlannedItem,
  SinkError | TranscriptionError | Credentials.CredentialsError | ConfigError.ConfigError,
  Environment
> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const probe = yield* AudioProbe
    const transcriber = yield* Transcriber
    const built = yield* sinks(config, registries)
    // one effect per row: the probe, then the route and the outputs computed from its answer
    const planOne = (entry: SourceEntry): Effect.Effect<PlannedItem> =>
      entry._tag === "Left"
        ? Effect.succeed({
          item: PipelineRunner.itemForSourceError(entry.left),
          rejected: entry.left.message,
          outputs: []
        })
        : Effect.match(probe.probe(entry.right), {
          onFailure: (error): PlannedItem => ({ item: entry.right, rejected: error.message, outputs: [] }),
          onSuccess: (item): PlannedItem => ({ item, plan: transcriber.plan(item), outputs: outputsOf(built, item) })
        })
    // 16 rows in flight, by 16 workers per chunk: a fiber per row would cost more than its probe
    const planRows = (chunk: Chunk.Chunk<SourceEntry>) =>
      Effect.map(OrderedWorkers.mapInOrder(Chunk.toReadonlyArray(chunk), 16, planOne), Chunk.unsafeFromArray)
    return entries(config, registries).pipe(Stream.rechunk(planChunk), Stream.mapChunksEffect(planRows))
  })).pipe(Stream.provideSomeLayer(transcriberLayer(config, registries, credentials)))

/**
 * Lists and probes every item and asks the provider for its route, without transcribing anything: the
 * whole plan at once (`planned` streams it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const plan = (
  config: PipelineConfig,
  registries: Registries,
  credentials?: Credentials.Resolved | undefined
): Effect.Effect<
  ReadonlyArray<PlannedItem>,
  SinkError | TranscriptionError | Credentials.CredentialsError | ConfigError.ConfigError,
  Environment
> => Effect.map(Stream.runCollect(planned(config, registries, credentials)), Chunk.toReadonlyArray)
