/**
 * One recording, for parity with the original helper script: `asrflow transcribe --audio …` and the
 * Promise `transcribe(request)`. The request's fields are mapped onto the provider's own config by the
 * provider (`fromRequest`), and the run's services come from the same builder as a pipeline run.
 *
 * @since 0.1.0
 */
import {
  AudioItem,
  AudioProbe,
  Fingerprint,
  Ledger,
  OutputCheck,
  OutputRoot,
  Pipeline,
  PipelineLoader,
  Transcriber,
  Transcript,
  UrlsSource
} from "@asrflow/core"
import type { Component, PipelineConfig, Sink, TranscribeRequest } from "@asrflow/core"
import type { SinkError } from "@asrflow/core/Sink"
import { Path } from "@effect/platform"
import { Data, Effect, Either, Option, Schema } from "effect"
import type { Scope } from "effect"
import type { NormalizedResponse } from "./ApiModels.js"
import * as PcmInput from "./PcmInput.js"
import * as Registries from "./Registries.js"
import * as RunLayer from "./RunLayer.js"
import * as ServiceCheck from "./ServiceCheck.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Format = "txt" | "json" | "srt" | "vtt"

const sinkType = { txt: "text", json: "json", srt: "srt", vtt: "vtt" } as const

/**
 * A bad combination of options, shown as a usage error (exit code 2).
 *
 * @since 0.1.0
 * @category errors
 */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

/**
 * The options of one transcription, named as the original helper's flags.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends TranscribeRequest.RequestOptions {
  /** A local path or a URL; not needed with `task_id`. */
  readonly audio: string
  /** The provider type (default: the first registered, qwen for the built-ins). */
  readonly provider?: string | undefined
  /** Async: wait for the task (default true); false only submits and returns the task id. */
  readonly wait?: boolean | undefined
  /** Pick up a task submitted earlier (implies waiting for it). */
  readonly task_id?: string | undefined
  /** Write exactly this file instead of `<output root>/transcripts/<key>.<ext>`. */
  readonly output?: string | undefined
  readonly output_dir?: string | undefined
  readonly format?: Format | undefined
  readonly api_key?: string | undefined
}

/**
 * The normalized response of the original skill (`ApiModels`: the one declaration of its shape).
 *
 * @since 0.1.0
 * @category models
 */
export type { NormalizedResponse }

/**
 * @since 0.1.0
 * @category utils
 */
export const normalized = (transcript: Transcript.Transcript): NormalizedResponse => ({
  text: transcript.text,
  task_id: transcript.taskId,
  status: transcript.status,
  raw: transcript.raw
})

/**
 * The provider's raw `provider:` block for a request (the fields it was given).
 *
 * @since 0.2.0
 * @category utils
 */
export const requestBlock = (component: Component.ProviderComponent, options: Options): Component.Typed =>
  Object.fromEntries(
    Object.entries(component.fromRequest(options)).filter(([, value]) => value !== undefined)
  ) as unknown as Component.Typed

/**
 * The provider and its decoded config for the options: the provider maps the request's fields onto its
 * own block, and a field it rejects is a usage error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const providerConfig = (
  registries: PipelineConfig.Registries,
  options: Options,
  /** How a message names the option behind a config path (the CLI: its flag); by default the path itself. */
  nameOf: (path: string) => string = (path) => path
) =>
  Effect.gen(function*() {
    const component = yield* Registries.provider(registries, options.provider).pipe(
      Effect.mapError((exit) =>
        new UsageError({ message: (exit.message ?? "unknown provider").replace(/^asrflow: /, "") })
      )
    )
    const config = yield* Either.match(PipelineLoader.decodeValue(component.config, requestBlock(component, options)), {
      onLeft: (issues) =>
        Effect.fail(
          new UsageError({ message: issues.map((issue) => `${nameOf(issue.path)}: ${issue.message}`).join("; ") })
        ),
      onRight: Effect.succeed
    })
    return { component, config: config as Component.Typed }
  })

const isUrl = (audio: string) => /^(https?|oss):\/\//i.test(audio)

const formatOf = (options: Options, path: Path.Path): Effect.Effect<Format, UsageError> => {
  const fromOutput = options.output === undefined ? undefined : path.extname(options.output).slice(1).toLowerCase()
  const known = (ext: string | undefined): ext is Format =>
    ext === "txt" || ext === "json" || ext === "srt" || ext === "vtt"
  if (options.format !== undefined && fromOutput !== undefined && known(fromOutput) && fromOutput !== options.format) {
    return Effect.fail(
      new UsageError({
        message: `--output ${options.output} has the extension .${fromOutput} but --format is ${options.format}`
      })
    )
  }
  return Effect.succeed(options.format ?? (known(fromOutput) ? fromOutput : "txt"))
}

const makeSink = (
  registries: PipelineConfig.Registries,
  type: string,
  fields: Record<string, unknown>
): Effect.Effect<Sink.Sink.Service, SinkError, Pipeline.ComponentEnvironment | Scope.Scope> =>
  Effect.flatMap(
    Effect.fromNullable<Component.SinkComponent | undefined>(registries.sinks.get(type)).pipe(
      Effect.orDieWith(() => `no ${type} sink registered`)
    ),
    (component) =>
      Schema.decodeUnknown(component.config)({ type, ...fields }).pipe(
        Effect.orDie,
        Effect.flatMap((config) => component.make(config))
      )
  )

/**
 * Builds the item for `--audio`: a probed local file (raw `.pcm` wrapped in a WAV header first) or a URL.
 *
 * @since 0.1.0
 * @category constructors
 */
export const itemFor = (options: Pick<Options, "audio" | "sample_rate">) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    if (isUrl(options.audio)) {
      // the same key and validation as a `urls` source
      const [entry] = UrlsSource.list(new UrlsSource.Config({ type: "urls", urls: [options.audio] }))
      return yield* entry!.pipe(Effect.mapError((error) => new UsageError({ message: `--audio: ${error.message}` })))
    }
    const file = path.resolve(options.audio)
    const source = path.extname(file).toLowerCase() === ".pcm"
      ? yield* PcmInput.toWav(file, options.sample_rate ?? 16_000)
      : file
    const probe = yield* AudioProbe.AudioProbe
    return yield* probe.probe(
      new AudioItem.AudioItem({
        id: file,
        source,
        kind: "file",
        outputKey: path.basename(file, path.extname(file)),
        origin: "--audio"
      })
    ).pipe(Effect.flatMap(probe.verify))
  })

/**
 * The item of a known remote job (`--task-id`): the one the ledger recorded it for, or, for a job
 * submitted elsewhere, a stand-in named after the task.
 *
 * @since 0.1.0
 * @category constructors
 */
export const itemForTask = (provider: string, taskId: string) =>
  Effect.gen(function*() {
    const ledger = yield* Ledger.Ledger
    const known = Option.flatMap(yield* ledger.jobByRemoteId(provider, taskId), (job) =>
      Option.fromNullable(job.items[0]))
    if (Option.isSome(known)) {
      const item = yield* itemFor({ audio: known.value.itemId }).pipe(Effect.orElseSucceed(() =>
        standIn(taskId)
      ))
      return new AudioItem.AudioItem({ ...item, fingerprint: known.value.fingerprint })
    }
    return standIn(taskId)
  })

const standIn = (taskId: string) =>
  new AudioItem.AudioItem({
    id: taskId,
    source: `task:${taskId}`,
    kind: "url",
    outputKey: taskId,
    origin: "--task-id",
    fingerprint: `task:${taskId}`
  })

/**
 * Transcribes one recording and writes it as `format` (plus its evidence under the output root).
 * Returns the transcript, the files written and the warnings about options the model cannot honour.
 *
 * @since 0.1.0
 * @category constructors
 */
export const execute = (registries: PipelineConfig.Registries, options: Options) =>
  Effect.scoped(Effect.gen(function*() {
    const path = yield* Path.Path
    const format = yield* formatOf(options, path)
    const { component, config } = yield* providerConfig(registries, options)
    const outputRoot = yield* OutputRoot.resolve({ flag: options.output_dir, providerFolder: component.outputFolder })
    yield* OutputCheck.prepare(outputRoot)
    if (options.output !== undefined) {
      yield* OutputCheck.prepare(path.dirname(path.resolve(options.output)), {
        what: "the directory of --output",
        chosenBy: "--output"
      })
    }
    const credentials = yield* component.credentials.resolve(options.api_key)
    yield* ServiceCheck.run(component, config, credentials)
    const services = RunLayer.make({
      baseDir: path.resolve("."),
      outputRoot,
      runId: yield* OutputRoot.runId,
      registries,
      credentials,
      events: { display: "none" }
    })
    const pipeline = { version: 1, concurrency: 1, sources: [], provider: config, sinks: [] } as const
    return yield* Effect.gen(function*() {
      const transcriber = yield* Transcriber.Transcriber
      const unsupported = (what: string) => new UsageError({ message: `the ${component.type} provider cannot ${what}` })
      const item = options.task_id === undefined
        ? yield* Effect.flatMap(itemFor(options), (item) => Fingerprint.apply(item, transcriber.requestKey(item)))
        : yield* itemForTask(component.type, options.task_id)
      const submitOnly = options.task_id === undefined && options.wait === false &&
        transcriber.plan(item).route === "async"
      const transcript = options.task_id !== undefined
        ? yield* (transcriber.attach ?? (() => Effect.fail(unsupported("pick up a task by id (--task-id)"))))(
          options.task_id,
          item
        )
        : submitOnly
        ? yield* (transcriber.submit ?? (() => Effect.fail(unsupported("submit without waiting"))))(item)
        : yield* transcriber.transcribe(item)
      const evidence = yield* makeSink(registries, "evidence", {})
      const evidenceResult = new Transcript.Transcribed({ item, transcript })
      yield* evidence.write(evidenceResult)
      const files = [...(evidence.outputsFor?.(evidenceResult) ?? [])]
      if (!submitOnly) {
        const target = options.output === undefined ? undefined : path.resolve(options.output)
        // --output names the file: its directory becomes the sink's dir and its basename the output key
        const written = target === undefined
          ? item
          : new AudioItem.AudioItem({ ...item, outputKey: path.basename(target, path.extname(target)) })
        const sink = yield* makeSink(
          registries,
          sinkType[format],
          target === undefined ? {} : { dir: path.dirname(target) }
        )
        const result = new Transcript.Transcribed({ item: written, transcript })
        yield* sink.write(result)
        files.unshift(...(sink.outputsFor?.(result) ?? []))
        // finished: a later transcribe of the same audio is a new transcription, not a re-attachment
        if (item.fingerprint !== undefined) {
          yield* Effect.flatMap(Ledger.Ledger, (ledger) => ledger.markDone(item.fingerprint!, item.id))
        }
      }
      return { transcript, item, files, warnings: component.check(config), outputRoot, submitOnly } as const
    }).pipe(
      Effect.provide(Pipeline.transcriberLayer(pipeline, registries, credentials)),
      Effect.provide(services)
    )
  }))
