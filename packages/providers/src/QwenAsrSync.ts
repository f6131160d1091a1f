/**
 * The sync Qwen ASR transcriber (`qwen3-asr-flash*`, `qwen-audio-asr`): local files as data URIs, URLs as
 * they are; the compatible endpoint by default, the native one where the compatible one does not exist;
 * streaming for long audio. The request bodies are pure functions; the answer mapping is `SyncAnswer`.
 *
 * @since 0.1.0
 */
import * as AudioFormat from "@asrflow/core/AudioFormat"
import type { AudioItem } from "@asrflow/core/AudioItem"
import * as InFlightAudio from "@asrflow/core/InFlightAudio"
import * as PhaseSpan from "@asrflow/core/PhaseSpan"
import type { Plan } from "@asrflow/core/Transcriber"
import { Transcriber, TranscriptionError } from "@asrflow/core/Transcriber"
import { FileSystem } from "@effect/platform"
import { Clock, DateTime, Effect, LogLevel } from "effect"
import { DashScopeClient, withRetry } from "./DashScopeClient.js"
import * as DashScopeLanes from "./DashScopeLanes.js"
import * as DataUriBody from "./internal/dataUriBody.js"
import type * as Wire from "./internal/schemas.js"
import * as Models from "./Models.js"
import type { QwenConfig } from "./QwenConfig.js"
import * as QwenLongAudio from "./QwenLongAudio.js"
import type { EffectiveRequest } from "./QwenRequest.js"
import { asrOptions, effectiveRequest, mimeOf, modelFor, requestKey, warningsFor } from "./QwenRequest.js"
import type { Answer } from "./SyncAnswer.js"
import * as SyncAnswer from "./SyncAnswer.js"

// =============================================================================
// Request mapping (pure)
// =============================================================================

const contextOf = (capability: Models.Capability, request: EffectiveRequest): string | undefined =>
  capability.honours.includes("context") && request.context !== undefined && request.context !== ""
    ? request.context
    : undefined

/**
 * The OpenAI-compatible body (docs/PROTOCOL.md §4.1). Context goes in the system message.
 *
 * @since 0.1.0
 * @category utils
 */
export const toCompatibleRequest = (
  capability: Models.Capability,
  model: string,
  request: EffectiveRequest,
  audio: string,
  stream: boolean
): Wire.CompatibleRequest => {
  const context = contextOf(capability, request)
  const options = asrOptions(capability, request)
  return {
    model,
    messages: [
      ...(context !== undefined ? [{ role: "system" as const, content: [{ text: context }] }] : []),
      { role: "user" as const, content: [{ type: "input_audio" as const, input_audio: { data: audio } }] }
    ],
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
    ...(options !== undefined ? { asr_options: options } : {})
  }
}

/**
 * The native body (docs/PROTOCOL.md §5.1): messages inside `input`, `asr_options` inside `parameters`.
 *
 * @since 0.1.0
 * @category utils
 */
export const toNativeRequest = (
  capability: Models.Capability,
  model: string,
  request: EffectiveRequest,
  audio: string,
  stream: boolean
): Wire.NativeRequest => {
  const context = contextOf(capability, request)
  const options = asrOptions(capability, request)
  const parameters = {
    ...(options !== undefined ? { asr_options: options } : {}),
    ...(stream ? { incremental_output: true } : {})
  }
  return {
    model,
    input: {
      messages: [
        ...(context !== undefined ? [{ role: "system" as const, content: [{ text: context }] }] : []),
        { role: "user" as const, content: [{ audio }] }
      ]
    },
    ...(Object.keys(parameters).length > 0 ? { parameters } : {})
  }
}

/**
 * @since 0.2.0
 * @category utils
 */
export const limitViolation = Models.limitViolation

// =============================================================================
// Service
// =============================================================================

/**
 * The route of an item on the sync path.
 *
 * @since 0.1.0
 * @category models
 */
export interface Route {
  readonly model: string
  readonly capability: Models.Capability
  readonly protocol: "compatible" | "native"
  readonly stream: boolean
  readonly request: EffectiveRequest
  readonly warnings: ReadonlyArray<string>
}

/** Compatible unless the config says otherwise or the model or region lacks it. */
const protocolOf = (config: QwenConfig, capability: Models.Capability, hasCompatible: boolean) =>
  config.protocol ?? (capability.protocols.includes("compatible") && hasCompatible ? "compatible" : "native")

/**
 * Streams where the model can, by default over 60 s of audio (long answers hit gateway timeouts).
 *
 * @since 0.2.0
 * @category utils
 */
export const streams = (
  capability: Models.Capability,
  request: EffectiveRequest,
  item: Pick<AudioItem, "durationMs">
): boolean =>
  capability.honours.includes("stream") &&
  (request.stream ?? (item.durationMs !== undefined && item.durationMs > 60_000))

/**
 * Routes an item: model, protocol (compatible unless the model or region lacks it), streaming (default on
 * over 60 s), warnings. Fails for unknown models, async models and impossible protocols.
 */
const routeOf = (
  config: QwenConfig,
  item: AudioItem,
  hasCompatible: boolean,
  chosen?: string | undefined
): Effect.Effect<Route, TranscriptionError> => {
  const request = effectiveRequest(config, item)
  const model = chosen ?? modelFor(request, item)
  const invalid = (description: string) =>
    new TranscriptionError({ provider: "qwen", input: item.source, reason: "InvalidRequest", description })
  const capability = Models.lookup(model)
  if (capability === undefined) {
    return Effect.fail(invalid(Models.resolve(model).pipe((e) => e._tag === "Left" ? e.left : model)))
  }
  if (capability.mode !== "sync") {
    return Effect.fail(invalid(`${model} is an async model; the sync transcriber cannot send it`))
  }
  if (config.protocol === "compatible" && !(capability.protocols.includes("compatible") && hasCompatible)) {
    return Effect.fail(
      invalid(
        capability.protocols.includes("compatible")
          ? `the ${config.region} region has no OpenAI-compatible endpoint; use protocol: native`
          : `${model} has no OpenAI-compatible mode; use protocol: native`
      )
    )
  }
  const protocol = protocolOf(config, capability, hasCompatible)
  const stream = streams(capability, request, item)
  return Effect.succeed({
    model,
    capability,
    protocol,
    stream,
    request,
    warnings: warningsFor(capability, model, request)
  })
}

/**
 * The `Transcriber` service for the sync models.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(config: QwenConfig) {
  const client = yield* DashScopeClient
  const lanes = yield* DashScopeLanes.make(client, config.rate_limit, Models.documentedPerMinute)
  const fs = yield* FileSystem.FileSystem
  const hasCompatible = client.baseUrls.compatible !== undefined
  const timeoutMs = config.timeout_secs * 1000
  const observeSync = QwenLongAudio.syncSampler()

  const fail = (item: AudioItem, reason: TranscriptionError["reason"], description: string, cause?: unknown) =>
    new TranscriptionError({
      provider: "qwen",
      input: item.source,
      reason,
      description,
      ...(cause !== undefined ? { cause } : {})
    })

  const audioOf = (item: AudioItem, route: Route) =>
    Effect.gen(function*() {
      if (!item.isLocal) {
        const violation = limitViolation(route.capability, route.model, { durationMs: item.durationMs })
        if (violation !== undefined) return yield* fail(item, "InvalidAudio", violation)
        return { data: item.source, ossResolve: item.source.startsWith("oss://") }
      }
      const size = item.sizeBytes ?? Number(
        (yield* fs.stat(item.source).pipe(
          Effect.mapError((cause) => fail(item, "InvalidAudio", `cannot read the file: ${cause.message}`, cause))
        )).size
      )
      const knownMime = mimeOf(item)
      const earlyViolation = limitViolation(route.capability, route.model, {
        durationMs: item.durationMs,
        encodedBytes: Models.dataUriLength(size, knownMime ?? "audio/wav")
      })
      if (earlyViolation !== undefined) return yield* fail(item, "InvalidAudio", earlyViolation)
      // the bytes the run read and hashed, when it holds them: the file is not read a second time
      const bytes = (yield* InFlightAudio.take(item)) ?? (yield* fs.readFile(item.source).pipe(
        Effect.mapError((cause) => fail(item, "InvalidAudio", `cannot read the file: ${cause.message}`, cause))
      ))
      const mime = knownMime ??
        AudioFormat.mimeOf(yield* AudioFormat.detect(bytes.subarray(0, AudioFormat.headerBytes)))
      if (mime === undefined) {
        return yield* fail(
          item,
          "InvalidAudio",
          "unrecognised audio container (not wav, mp3, flac, ogg, opus, m4a, webm, amr or aac)"
        )
      }
      const violation = limitViolation(route.capability, route.model, {
        encodedBytes: Models.dataUriLength(bytes.length, mime)
      })
      if (violation !== undefined) return yield* fail(item, "InvalidAudio", violation)
      return { inline: bytes, mime }
    })

  const answered = (response: { readonly raw: unknown; readonly requestId: string | undefined }, answer: Answer) => ({
    raw: response.raw,
    requestId: response.requestId,
    answer
  })

  const send = (input: string, route: Route, audio: Audio) => {
    const options = { input, timeoutMs, ossResolve: "data" in audio && audio.ossResolve }
    if (route.protocol === "compatible") {
      const body = DataUriBody.bodyOf(
        fs,
        audio,
        (data) => toCompatibleRequest(route.capability, route.model, route.request, data, route.stream)
      )
      return route.stream
        ? Effect.map(
          client.streamCompatible(body, options),
          (r) => answered(r, SyncAnswer.fromCompatibleChunks(r.value))
        )
        : Effect.map(client.postCompatible(body, options), (r) => answered(r, SyncAnswer.fromCompatible(r.value)))
    }
    const body = DataUriBody.bodyOf(
      fs,
      audio,
      (data) => toNativeRequest(route.capability, route.model, route.request, data, route.stream)
    )
    return route.stream
      ? Effect.map(client.streamNative(body, options), (r) => answered(r, SyncAnswer.fromNativeEvents(r.value)))
      : Effect.map(client.postNative(body, options), (r) => answered(r, SyncAnswer.fromNative(r.value)))
  }

  // The one place every sync request (a whole item or a chunk) waits for its lane and is retried. `prepare`
  // runs after the wait, on every attempt, so that a request waiting for its slot holds no audio in memory.
  const paced = (
    input: string,
    route: Route,
    audioMs: number | undefined,
    prepare: Effect.Effect<{ readonly audio: Audio; readonly route: Route }, TranscriptionError>
  ) => {
    // each try is paced by the model's lane and tells it how the request ended
    const observe = (startedAt: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => observeSync(route.model, now, now - startedAt, audioMs))
    const once = Effect.flatMap(
      prepare,
      (ready) =>
        Effect.flatMap(
          Clock.currentTimeMillis,
          (startedAt) => Effect.tap(send(input, ready.route, ready.audio), () => observe(startedAt))
        )
    )
    return Effect.flatMap(lanes.sync(route.model), (lane) => lane.paced(once)).pipe(
      withRetry(config.retry),
      PhaseSpan.phase("submit", { [PhaseSpan.attributes.model]: route.model })
    )
  }

  // not annotated with the item as a whole: its debug line names it, a retry's warning names its input, and an
  // annotation costs the runtime about ten steps for every item (issue 18)
  const transcribe = (item: AudioItem, model?: string | undefined) =>
    Effect.gen(function*() {
      const route = yield* routeOf(config, item, hasCompatible, model)
      const audio = yield* audioOf(item, route)
      // asked first: a dropped debug line would still cost its annotations on every request
      yield* Effect.whenLogLevel(
        Effect.logDebug("sync request").pipe(
          Effect.annotateLogs({ item: item.source, model: route.model, protocol: route.protocol, stream: route.stream })
        ),
        LogLevel.Debug
      )
      const response = yield* paced(item.source, route, item.durationMs, Effect.succeed({ audio, route }))
      const at = DateTime.formatIso(yield* DateTime.now)
      return SyncAnswer.toTranscript({
        item,
        model: route.model,
        answer: response.answer,
        requestId: response.requestId,
        warnings: route.warnings,
        raw: response.raw,
        at
      })
    }).pipe(PhaseSpan.traced("QwenAsrSync.transcribe"))

  const plan = (item: AudioItem): Plan => {
    const request = effectiveRequest(config, item)
    const model = modelFor(request, item)
    const capability = Models.lookup(model)
    if (capability === undefined) return { route: "invalid", model, warnings: [`unknown model ${model}`] }
    const seconds = item.durationMs === undefined ? undefined : Math.ceil(item.durationMs / 1000)
    const protocol = protocolOf(config, capability, hasCompatible)
    const stream = streams(capability, request, item)
    const violation = capability.mode === "sync"
      ? limitViolation(capability, model, {
        durationMs: item.durationMs,
        encodedBytes: item.isLocal && item.sizeBytes !== undefined
          ? Models.dataUriLength(item.sizeBytes, mimeOf(item) ?? "audio/wav")
          : undefined
      })
      : undefined
    return {
      route: capability.mode === "sync" ? `sync/${protocol}${stream ? "+stream" : ""}` : "async",
      model,
      estimatedSeconds: seconds,
      estimatedCost: seconds === undefined ? undefined : Models.estimateCost(capability, config.region, seconds),
      price: Models.pricePerSecond(capability, config.region),
      warnings: [...warningsFor(capability, model, request), ...(violation !== undefined ? [violation] : [])]
    }
  }

  return {
    ...Transcriber.of({
      provider: "qwen",
      transcribe: (item) => transcribe(item),
      retry: config.retry,
      plan,
      requestKey: (item) => requestKey(config, item)
    }),
    transcribeWith: transcribe,
    paced,
    routeOf: (item: AudioItem, model: string) => routeOf(config, item, hasCompatible, model)
  }
})

/**
 * The sync transcriber, with what the split route sends its chunks through.
 *
 * @since 0.2.0
 * @category models
 */
export type Service = Effect.Effect.Success<ReturnType<typeof make>>

/**
 * Audio as sent: a data URI or a URL, or a local file streamed as a data URI (the split route's chunks).
 *
 * @since 0.2.0
 * @category models
 */
export type Audio = DataUriBody.Audio
