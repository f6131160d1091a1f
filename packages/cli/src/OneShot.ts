/**
 * One recording, for parity with the original helper script: `asrflow transcribe --audio …` and the
 * Promise `transcribe(request)`.
 *
 * @since 0.1.0
 */
import { AudioItem, AudioProbe, Redact, RunContext, Transcriber, Transcript, UrlsSource } from "@asrflow/core"
import type { Component, Pipeline, Sink } from "@asrflow/core"
import type { SinkError } from "@asrflow/core/Sink"
import { Credentials, QwenConfig, QwenProvider } from "@asrflow/providers"
import { Sinks } from "@asrflow/sinks"
import { Path } from "@effect/platform"
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
  readonly audio: string
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
    const config = yield* providerConfig(options)
    const format = yield* formatOf(options, path)
    const outputRoot = yield* OutputRoot.resolve(options.output_dir, undefined)
    const { key } = yield* Credentials.resolveApiKey(options.api_key).pipe(Effect.mapError(QwenProvider.missingKey))
    const context = Layer.succeed(
      RunContext.RunContext,
      RunContext.RunContext.of({
        baseDir: path.resolve("."),
        outputRoot,
        runId: OutputRoot.makeRunId(new Date()),
        startedAt: new Date()
      })
    )
    const environment = Layer.mergeAll(context, Redact.layer([key]), AudioProbe.AudioProbe.Default)
    return yield* Effect.gen(function*() {
      const item = yield* itemFor(options)
      const transcriber = yield* Transcriber.Transcriber
      const transcript = yield* transcriber.transcribe(item)
      const target = options.output === undefined ? undefined : path.resolve(options.output)
      // --output names the file: its directory becomes the sink's dir and its basename the output key
      const written = target === undefined
        ? item
        : new AudioItem.AudioItem({ ...item, outputKey: path.basename(target, path.extname(target)) })
      const sink = yield* makeSink(sinkType[format], target === undefined ? {} : { dir: path.dirname(target) })
      const evidence = yield* makeSink("evidence", {})
      const result = new Transcript.Transcribed({ item: written, transcript })
      const evidenceResult = new Transcript.Transcribed({ item, transcript })
      yield* sink.write(result)
      yield* evidence.write(evidenceResult)
      const files = [...(sink.outputsFor?.(result) ?? []), ...(evidence.outputsFor?.(evidenceResult) ?? [])]
      return { transcript, item, files, warnings: QwenProvider.check(config), outputRoot } as const
    }).pipe(Effect.provide(QwenProvider.layerWith(config, { apiKey: key })), Effect.provide(environment))
  }))
