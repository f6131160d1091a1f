/**
 * One recording, for parity with the original helper script: `asrflow transcribe --audio …` and the
 * Promise `transcribe(request)`.
 *
 * @since 0.1.0
 */
import {
  AudioItem,
  AudioProbe,
  Fingerprint,
  Ledger,
  Redact,
  RunContext,
  Transcriber,
  Transcript,
  UrlsSource
} from "@asrflow/core"
import type { Component, Pipeline, Sink } from "@asrflow/core"
import type { SinkError } from "@asrflow/core/Sink"
import { Credentials, Models, QwenConfig, QwenProvider, RateLimiter } from "@asrflow/providers"
import * as QwenAsrAsync from "@asrflow/providers/QwenAsrAsync"
import { Sinks } from "@asrflow/sinks"
import { FileSystem, Path } from "@effect/platform"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Data, Effect, Layer, Schema } from "effect"
import type { Scope } from "effect"
import * as OutputRoot from "./OutputRoot.js"
import * as PcmInput from "./PcmInput.js"

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
export interface Options {
  /** A local path or a URL; not needed with `task_id`. */
  readonly audio: string
  /** Async: wait for the task (default true); false only submits and returns the task id. */
  readonly wait?: boolean | undefined
  /** Pick up a task submitted earlier (implies waiting for it). */
  readonly task_id?: string | undefined
  readonly model?: string | undefined
  readonly language_hints?: ReadonlyArray<string> | undefined
  readonly sample_rate?: number | undefined
  readonly vocabulary_id?: string | undefined
  readonly disfluency_removal_enabled?: boolean | undefined
  readonly timestamp_granularities?: ReadonlyArray<"sentence" | "word"> | undefined
  readonly async?: boolean | undefined
  readonly context?: string | undefined
  readonly enable_itn?: boolean | undefined
  readonly channel_id?: ReadonlyArray<number> | undefined
  readonly region?: "cn-beijing" | "ap-southeast-1" | "us-east-1" | undefined
  readonly poll_interval_secs?: number | undefined
  readonly max_waits?: number | undefined
  /** Write exactly this file instead of `<output root>/transcripts/<key>.<ext>`. */
  readonly output?: string | undefined
  readonly output_dir?: string | undefined
  readonly format?: Format | undefined
  readonly api_key?: string | undefined
}

/**
 * The normalized response of the original skill: `{text, task_id, status, raw}`.
 *
 * @since 0.1.0
 * @category models
 */
export interface NormalizedResponse {
  readonly text: string
  readonly task_id?: string | undefined
  readonly status: string
  readonly raw: unknown
}

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
 * The provider config for the options: the seed flags map one to one onto the pipeline's `qwen` block.
 *
 * @since 0.1.0
 * @category constructors
 */
export const providerConfig = (options: Options): Effect.Effect<QwenConfig.QwenConfig, UsageError> => {
  const interval = options.poll_interval_secs
  const poll = interval === undefined ? undefined : {
    initial_interval_ms: interval * 1000,
    max_interval_ms: interval * 1000,
    ...(options.max_waits === undefined ? {} : { timeout_secs: interval * options.max_waits })
  }
  const raw = {
    type: "qwen",
    model: options.model,
    region: options.region,
    language_hints: options.language_hints,
    sample_rate: options.sample_rate,
    vocabulary_id: options.vocabulary_id,
    disfluency_removal_enabled: options.disfluency_removal_enabled,
    timestamp_granularities: options.timestamp_granularities,
    async: options.async,
    context: options.context,
    enable_itn: options.enable_itn,
    channel_id: options.channel_id,
    poll
  }
  const defined = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined))
  return Schema.decodeUnknown(QwenConfig.QwenConfig, { errors: "all", onExcessProperty: "error" })(defined).pipe(
    Effect.mapError((error) => new UsageError({ message: error.message }))
  )
}

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
  type: string,
  fields: Record<string, unknown>
): Effect.Effect<Sink.Sink.Service, SinkError, Pipeline.ComponentEnvironment | Scope.Scope> =>
  Effect.flatMap(
    Effect.fromNullable<Component.SinkComponent | undefined>(Sinks.registry.get(type)).pipe(
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
export const itemFor = (options: Options) =>
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
    )
  })

/**
 * Transcribes one recording and writes it as `format` (plus its evidence under the output root).
 * Returns the transcript, the files written and the warnings about options the model cannot honour.
 *
 * @since 0.1.0
 * @category constructors
 */
export const execute = (options: Options) =>
  Effect.scoped(Effect.gen(function*() {
    const path = yield* Path.Path
    const fs = yield* FileSystem.FileSystem
    const format = yield* formatOf(options, path)
    const outputRoot = yield* OutputRoot.resolve(options.output_dir, undefined)
    const { key } = yield* Credentials.resolveApiKey(options.api_key).pipe(Effect.mapError(QwenProvider.missingKey))
    yield* fs.makeDirectory(outputRoot, { recursive: true })
    const context = Layer.succeed(
      RunContext.RunContext,
      RunContext.RunContext.of({
        baseDir: path.resolve("."),
        outputRoot,
        runId: OutputRoot.makeRunId(new Date()),
        startedAt: new Date()
      })
    )
    // the same ledger as pipeline runs: an interrupted async transcription resumes its task
    const ledger = Ledger.layer.pipe(
      Layer.provide(SqliteClient.layer({ filename: path.join(outputRoot, "ledger.sqlite") }))
    )
    const environment = Layer.mergeAll(context, Redact.layer([key]), AudioProbe.AudioProbe.Default, ledger)
    // a known task keeps the model it was submitted with, so the transcriber re-attaches to it
    const taskModel = options.task_id === undefined ? undefined : yield* Effect.provide(
      Effect.map(
        Effect.flatMap(Ledger.Ledger, (ledger) => ledger.openTasks),
        (open) => open.find((entry) => entry.task_id === options.task_id)?.model ?? Models.auto.async
      ),
      ledger
    )
    const config = yield* providerConfig(taskModel === undefined ? options : { ...options, model: taskModel })
    const client = Layer.mergeAll(QwenProvider.clientLayer(config, { apiKey: key }), RateLimiter.layer)
    return yield* Effect.gen(function*() {
      const transcriber = yield* Transcriber.Transcriber
      const asyncTasks = yield* QwenAsrAsync.make(config)
      const item = options.task_id === undefined
        ? yield* Effect.flatMap(itemFor(options), (item) => Fingerprint.apply(item, transcriber.requestKey(item)))
        : yield* itemForTask(options.task_id, config)
      const submitOnly = options.task_id === undefined && options.wait === false &&
        QwenProvider.isAsync(config, item)
      const transcript = options.task_id !== undefined
        ? yield* asyncTasks.transcribe(item)
        : submitOnly
        ? yield* asyncTasks.submit(item)
        : yield* transcriber.transcribe(item)
      const evidence = yield* makeSink("evidence", {})
      const evidenceResult = new Transcript.Transcribed({ item, transcript })
      yield* evidence.write(evidenceResult)
      const files = [...(evidence.outputsFor?.(evidenceResult) ?? [])]
      if (!submitOnly) {
        const target = options.output === undefined ? undefined : path.resolve(options.output)
        // --output names the file: its directory becomes the sink's dir and its basename the output key
        const written = target === undefined
          ? item
          : new AudioItem.AudioItem({ ...item, outputKey: path.basename(target, path.extname(target)) })
        const sink = yield* makeSink(sinkType[format], target === undefined ? {} : { dir: path.dirname(target) })
        const result = new Transcript.Transcribed({ item: written, transcript })
        yield* sink.write(result)
        files.unshift(...(sink.outputsFor?.(result) ?? []))
        // finished: a later transcribe of the same audio is a new transcription, not a re-attachment
        if (item.fingerprint !== undefined) {
          yield* Effect.flatMap(Ledger.Ledger, (ledger) => ledger.markDone(item.fingerprint!, item.id))
        }
      }
      return { transcript, item, files, warnings: QwenProvider.check(config), outputRoot, submitOnly } as const
    }).pipe(
      Effect.provide(QwenProvider.layerTranscriber(config).pipe(Layer.provideMerge(client))),
      Effect.provide(environment)
    )
  }))

/**
 * The item of a known task (`--task-id`): the one the ledger recorded it for, or, for a task
 * submitted elsewhere, a stand-in that the async transcriber re-attaches to instead of submitting.
 *
 * @since 0.1.0
 * @category constructors
 */
export const itemForTask = (taskId: string, config: QwenConfig.QwenConfig) =>
  Effect.gen(function*() {
    const ledger = yield* Ledger.Ledger
    const known = (yield* ledger.openTasks).find((entry) => entry.task_id === taskId)
    if (known !== undefined) {
      const item = yield* itemFor({ audio: known.item_id }).pipe(
        Effect.orElseSucceed(() => standIn(taskId))
      )
      return new AudioItem.AudioItem({ ...item, fingerprint: known.fingerprint })
    }
    const item = standIn(taskId)
    const model = QwenAsrAsync.isFiletrans(config.model) ? config.model : Models.auto.async
    yield* ledger.recordSubmitIntent(item.fingerprint!, { itemId: item.id, model, fileUrl: item.source })
    yield* ledger.recordTask(item.fingerprint!, taskId)
    return item
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
