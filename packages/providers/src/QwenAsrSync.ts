/**
 * The sync Qwen ASR transcriber (`qwen3-asr-flash*`, `qwen-audio-asr`): local files as data URIs, URLs as
 * they are; the compatible endpoint by default, the native one where the compatible one does not exist;
 * streaming for long audio. Request and response mappings are pure functions.
 *
 * @since 0.1.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import * as RetryPolicy from "@asrflow/core/RetryPolicy"
import type { Plan } from "@asrflow/core/Transcriber"
import { Transcriber, TranscriptionError } from "@asrflow/core/Transcriber"
import { Evidence, Transcript } from "@asrflow/core/Transcript"
import { FileSystem } from "@effect/platform"
import { Clock, Effect, Encoding } from "effect"
import { DashScopeClient, withRetry } from "./DashScopeClient.js"
import * as Mime from "./internal/mime.js"
import type * as Wire from "./internal/schemas.js"
import * as Models from "./Models.js"
import type { QwenConfig } from "./QwenConfig.js"
import { RateLimiter } from "./RateLimiter.js"

// =============================================================================
// The effective request
// =============================================================================

/**
 * The request for one item: the provider config merged with the item's manifest overrides.
 *
 * @since 0.1.0
 * @category models
 */
export interface EffectiveRequest {
  readonly model: string
  readonly language_hints?: ReadonlyArray<string> | undefined
  readonly context?: string | undefined
  readonly enable_itn?: boolean | undefined
  readonly timestamp_granularities?: ReadonlyArray<string> | undefined
  readonly vocabulary_id?: string | undefined
  readonly disfluency_removal_enabled?: boolean | undefined
  readonly sample_rate?: number | undefined
  readonly channel_id?: ReadonlyArray<number> | undefined
  readonly stream?: boolean | undefined
  readonly async?: boolean | undefined
}

/**
 * Merges the config with the item's overrides (model, language_hints, context). The model may still be `auto`.
 *
 * @since 0.1.0
 * @category utils
 */
export const effectiveRequest = (config: QwenConfig, item: Pick<AudioItem, "overrides">): EffectiveRequest => ({
  model: item.overrides?.model ?? config.model,
  language_hints: item.overrides?.language_hints ?? config.language_hints,
  context: item.overrides?.context ?? config.context,
  enable_itn: config.enable_itn,
  timestamp_granularities: config.timestamp_granularities,
  vocabulary_id: config.vocabulary_id,
  disfluency_removal_enabled: config.disfluency_removal_enabled,
  sample_rate: config.sample_rate,
  channel_id: config.channel_id,
  stream: config.stream,
  async: config.async
})

/**
 * The MIME type of a local item: the probe's, else from its container.
 *
 * @since 0.1.0
 * @category utils
 */
export const mimeOf = (item: AudioItem): string | undefined => item.mime ?? Mime.ofContainer(item.container)

/**
 * The model an item goes to: explicit, or for `auto` the async model when `async: true`, else routed by
 * duration and encoded size.
 *
 * @since 0.1.0
 * @category utils
 */
export const modelFor = (request: EffectiveRequest, item: AudioItem): string => {
  if (request.model !== "auto") return request.model
  if (request.async === true) return Models.auto.async
  const mime = mimeOf(item) ?? "audio/wav"
  const encodedBytes = item.isLocal && item.sizeBytes !== undefined
    ? Models.dataUriLength(item.sizeBytes, mime)
    : undefined
  return Models.route({ durationMs: item.durationMs, encodedBytes })
}

// =============================================================================
// Request mapping (pure)
// =============================================================================

const present = <A>(value: A | undefined): value is A => value !== undefined

/**
 * The warnings for fields the model cannot honour. None of these fields is ever sent.
 *
 * @since 0.1.0
 * @category utils
 */
export const warningsFor = (capability: Models.Capability, model: string, request: EffectiveRequest): Array<string> => {
  const honours = (field: Models.RequestField) => capability.honours.includes(field)
  const warnings: Array<string> = []
  const hints = request.language_hints ?? []
  if (hints.length > 1 && honours("language_hints")) {
    warnings.push(
      `language_hints has ${hints.length} entries (${hints.join(", ")}), but ${model} takes exactly one language: ` +
        "none is sent, and qwen3 auto-detects the language"
    )
  } else if (hints.length > 0 && !honours("language_hints")) {
    warnings.push(`${model} takes no language; language_hints is not sent`)
  }
  if (present(request.context) && request.context !== "" && !honours("context")) {
    warnings.push(`${model} does not take recognition context; context is not sent`)
  }
  if (present(request.enable_itn) && !honours("enable_itn")) {
    warnings.push(`${model} does not support inverse text normalization; enable_itn is not sent`)
  }
  if (
    present(request.timestamp_granularities) && request.timestamp_granularities.length > 0 &&
    !honours("timestamp_granularities")
  ) {
    warnings.push(
      `${model} returns no timestamps; timestamp_granularities is not sent ` +
        "(use qwen3-asr-flash-filetrans for sentence and word timestamps)"
    )
  }
  if (present(request.vocabulary_id) && !honours("vocabulary_id")) {
    warnings.push(
      `vocabulary_id is a Paraformer/Fun-ASR hotword vocabulary that ${model} cannot honour; it is not sent ` +
        "(use context for biasing)"
    )
  }
  if (present(request.disfluency_removal_enabled) && !honours("disfluency_removal_enabled")) {
    warnings.push(
      `disfluency_removal_enabled is a Paraformer/Fun-ASR option that ${model} cannot honour; it is not sent`
    )
  }
  if (present(request.sample_rate) && !honours("sample_rate")) {
    warnings.push(`sample_rate is not a ${model} request field (the service resamples to 16 kHz); it is not sent`)
  }
  if (present(request.channel_id) && !honours("channel_id")) {
    warnings.push(`${model} averages all channels to mono; channel_id is not sent`)
  }
  if (request.stream === true && !honours("stream")) {
    warnings.push(`${model} does not stream; the answer is requested in one piece`)
  }
  return warnings
}

/**
 * `asr_options` for the model: exactly one language hint becomes `language`; `enable_itn` passes through.
 *
 * @since 0.1.0
 * @category utils
 */
export const asrOptions = (capability: Models.Capability, request: EffectiveRequest): Wire.AsrOptions | undefined => {
  const hints = request.language_hints ?? []
  const language = capability.honours.includes("language_hints") && hints.length === 1 ? hints[0] : undefined
  const itn = capability.honours.includes("enable_itn") ? request.enable_itn : undefined
  if (language === undefined && itn === undefined) return undefined
  return { ...(language !== undefined ? { language } : {}), ...(itn !== undefined ? { enable_itn: itn } : {}) }
}

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

// =============================================================================
// Response mapping (pure)
// =============================================================================

/**
 * What a sync answer says, whichever protocol and framing it came in.
 *
 * @since 0.1.0
 * @category models
 */
export interface Answer {
  readonly text: string
  readonly language: string | undefined
  readonly emotion: string | undefined
  readonly usageSeconds: number | undefined
  readonly truncated: boolean
}

const lastAnnotation = (annotations: ReadonlyArray<ReadonlyArray<Wire.Annotation> | null | undefined>) => {
  let language: string | undefined
  let emotion: string | undefined
  for (const list of annotations) {
    for (const annotation of list ?? []) {
      if (annotation.type !== undefined && annotation.type !== "audio_info") continue
      language = annotation.language ?? language
      emotion = annotation.emotion ?? emotion
    }
  }
  return { language, emotion }
}

const secondsOf = (usages: ReadonlyArray<Wire.Usage | null | undefined>): number | undefined => {
  let seconds: number | undefined
  for (const usage of usages) seconds = usage?.seconds ?? seconds
  return seconds
}

/**
 * @since 0.1.0
 * @category utils
 */
export const fromCompatible = (response: Wire.CompatibleResponse): Answer => {
  const choice = response.choices[0]
  return {
    text: choice?.message.content ?? "",
    ...lastAnnotation([choice?.message.annotations]),
    usageSeconds: secondsOf([response.usage]),
    truncated: choice?.finish_reason === "length"
  }
}

/**
 * @since 0.1.0
 * @category utils
 */
export const fromCompatibleChunks = (chunks: ReadonlyArray<Wire.CompatibleChunk>): Answer => {
  const choices = chunks.flatMap((chunk) => chunk.choices.slice(0, 1))
  return {
    text: choices.map((choice) => choice.delta.content ?? "").join(""),
    ...lastAnnotation(choices.map((choice) => choice.delta.annotations)),
    usageSeconds: secondsOf(chunks.map((chunk) => chunk.usage)),
    truncated: choices.some((choice) => choice.finish_reason === "length")
  }
}

const nativeText = (
  content: string | ReadonlyArray<{ readonly text?: string | null | undefined }> | null | undefined
) =>
  content === null || content === undefined
    ? ""
    : typeof content === "string"
    ? content
    : content.map((part) => part.text ?? "").join("")

/**
 * @since 0.1.0
 * @category utils
 */
export const fromNative = (response: Wire.NativeResponse): Answer => fromNativeEvents([response])

/**
 * Native stream events with `incremental_output: true`: each event holds only the new text.
 *
 * @since 0.1.0
 * @category utils
 */
export const fromNativeEvents = (events: ReadonlyArray<Wire.NativeResponse>): Answer => {
  const choices = events.flatMap((event) => event.output.choices.slice(0, 1))
  const text = choices.length > 0
    ? choices.map((choice) => nativeText(choice.message.content)).join("")
    : events.map((event) => event.output.text ?? "").join("")
  return {
    text,
    ...lastAnnotation(choices.map((choice) => choice.message.annotations)),
    usageSeconds: secondsOf(events.map((event) => event.usage)),
    truncated: choices.some((choice) => choice.finish_reason === "length")
  }
}

/**
 * The canonical transcript. `raw` is the untouched body (for streams, the array of parsed events).
 *
 * @since 0.1.0
 * @category utils
 */
export const toTranscript = (params: {
  readonly item: AudioItem
  readonly model: string
  readonly answer: Answer
  readonly requestId: string | undefined
  readonly warnings: ReadonlyArray<string>
  readonly raw: unknown
  readonly at: string
}): Transcript =>
  new Transcript({
    text: params.answer.text,
    model: params.model,
    provider: "qwen",
    status: "SUCCEEDED",
    ...(params.requestId !== undefined ? { requestId: params.requestId } : {}),
    ...(params.answer.language !== undefined ? { language: params.answer.language } : {}),
    ...(params.answer.emotion !== undefined ? { emotion: params.answer.emotion } : {}),
    ...(params.item.durationMs !== undefined ? { durationMs: params.item.durationMs } : {}),
    ...(params.answer.usageSeconds !== undefined ? { usageSeconds: params.answer.usageSeconds } : {}),
    sentences: [],
    channels: [],
    warnings: params.answer.truncated
      ? [...params.warnings, "the answer was truncated by the model (finish_reason: length)"]
      : params.warnings,
    raw: params.raw,
    evidence: [new Evidence({ phase: "transcribe", at: params.at, body: params.raw })]
  })

// =============================================================================
// Limits
// =============================================================================

const formatDuration = (ms: number): string => {
  const total = Math.round(ms / 1000)
  return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, "0")}s`
}

const formatMb = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MB`

/**
 * The sync-limit violation of an item, if any: duration over the model's maximum, or a data URI over the
 * encoded size limit. The message suggests the filetrans model.
 *
 * @since 0.1.0
 * @category utils
 */
export const limitViolation = (
  capability: Models.Capability,
  model: string,
  item: { readonly durationMs?: number | undefined; readonly encodedBytes?: number | undefined }
): string | undefined => {
  const suggestion = `use model: ${Models.auto.async} (async, up to 12 h) or model: auto`
  if (item.durationMs !== undefined && item.durationMs > capability.maxDurationSecs * 1000) {
    return `the audio lasts ${formatDuration(item.durationMs)}, over the ${
      capability.maxDurationSecs / 60
    }-minute limit of the sync model ${model}; ${suggestion}`
  }
  if (item.encodedBytes !== undefined && item.encodedBytes > capability.maxEncodedBytes) {
    return `the audio is ${formatMb(item.encodedBytes)} as a Base64 data URI, over the ${
      formatMb(capability.maxEncodedBytes)
    } limit of the sync model ${model}; ${suggestion}`
  }
  return undefined
}

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

/**
 * Routes an item: model, protocol (compatible unless the model or region lacks it), streaming (default on
 * over 60 s), warnings. Fails for unknown models, async models and impossible protocols.
 *
 * @since 0.1.0
 * @category utils
 */
export const routeOf = (
  config: QwenConfig,
  item: AudioItem,
  hasCompatible: boolean
): Effect.Effect<Route, TranscriptionError> => {
  const request = effectiveRequest(config, item)
  const model = modelFor(request, item)
  const invalid = (description: string) =>
    new TranscriptionError({ provider: "qwen", input: item.source, reason: "InvalidRequest", description })
  const capability = Models.lookup(model)
  if (capability === undefined) {
    return Effect.fail(invalid(Models.resolve(model).pipe((e) => e._tag === "Left" ? e.left : model)))
  }
  if (capability.mode !== "sync") {
    return Effect.fail(invalid(`${model} is an async model; the sync transcriber cannot send it`))
  }
  const compatible = capability.protocols.includes("compatible") && hasCompatible
  if (config.protocol === "compatible" && !compatible) {
    return Effect.fail(
      invalid(
        capability.protocols.includes("compatible")
          ? `the ${config.region} region has no OpenAI-compatible endpoint; use protocol: native`
          : `${model} has no OpenAI-compatible mode; use protocol: native`
      )
    )
  }
  const protocol = config.protocol ?? (compatible ? "compatible" : "native")
  const streams = capability.honours.includes("stream")
  const stream = streams && (request.stream ?? (item.durationMs !== undefined && item.durationMs > 60_000))
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
 * A stable string of the effective request options of an item (part of its ledger fingerprint).
 *
 * @since 0.1.0
 * @category utils
 */
export const requestKey = (config: QwenConfig, item: AudioItem): string => {
  const request = effectiveRequest(config, item)
  const entries = Object.entries({ ...request, model: modelFor(request, item), stream: undefined, async: undefined })
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
  return JSON.stringify(Object.fromEntries(entries))
}

/**
 * The `Transcriber` service for the sync models.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(config: QwenConfig) {
  const client = yield* DashScopeClient
  const limiter = yield* RateLimiter
  const fs = yield* FileSystem.FileSystem
  const hasCompatible = client.baseUrls.compatible !== undefined
  const timeoutMs = config.timeout_secs * 1000

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
      const bytes = yield* fs.readFile(item.source).pipe(
        Effect.mapError((cause) => fail(item, "InvalidAudio", `cannot read the file: ${cause.message}`, cause))
      )
      const sniffed = Mime.ofContainer(Mime.sniff(bytes))
      const mime = knownMime ?? sniffed
      if (mime === undefined) {
        return yield* fail(
          item,
          "InvalidAudio",
          "unrecognised audio container (not wav, mp3, flac, ogg, opus, m4a, webm, amr or aac)"
        )
      }
      const data = `data:${mime};base64,${Encoding.encodeBase64(bytes)}`
      const violation = limitViolation(route.capability, route.model, { encodedBytes: data.length })
      if (violation !== undefined) return yield* fail(item, "InvalidAudio", violation)
      return { data, ossResolve: false }
    })

  const answered = (response: { readonly raw: unknown; readonly requestId: string | undefined }, answer: Answer) => ({
    raw: response.raw,
    requestId: response.requestId,
    answer
  })

  const send = (item: AudioItem, route: Route, audio: { readonly data: string; readonly ossResolve: boolean }) => {
    const options = { input: item.source, timeoutMs, ossResolve: audio.ossResolve }
    if (route.protocol === "compatible") {
      const body = toCompatibleRequest(route.capability, route.model, route.request, audio.data, route.stream)
      return route.stream
        ? Effect.map(client.streamCompatible(body, options), (r) => answered(r, fromCompatibleChunks(r.value)))
        : Effect.map(client.postCompatible(body, options), (r) => answered(r, fromCompatible(r.value)))
    }
    const body = toNativeRequest(route.capability, route.model, route.request, audio.data, route.stream)
    return route.stream
      ? Effect.map(client.streamNative(body, options), (r) => answered(r, fromNativeEvents(r.value)))
      : Effect.map(client.postNative(body, options), (r) => answered(r, fromNative(r.value)))
  }

  const transcribe = (item: AudioItem) =>
    Effect.gen(function*() {
      const route = yield* routeOf(config, item, hasCompatible)
      const audio = yield* audioOf(item, route)
      const rpm = config.rate_limit.requests_per_minute ?? route.capability.requestsPerMinute
      yield* Effect.logDebug("sync request").pipe(
        Effect.annotateLogs({ model: route.model, protocol: route.protocol, stream: route.stream })
      )
      const response = yield* limiter.acquire(route.model, rpm).pipe(
        Effect.zipRight(send(item, route, audio)),
        withRetry(config.retry)
      )
      const at = new Date(yield* Clock.currentTimeMillis).toISOString()
      return toTranscript({
        item,
        model: route.model,
        answer: response.answer,
        requestId: response.requestId,
        warnings: route.warnings,
        raw: response.raw,
        at
      })
    }).pipe(Effect.withSpan("QwenAsrSync.transcribe"), Effect.annotateLogs({ item: item.source }))

  const plan = (item: AudioItem): Plan => {
    const request = effectiveRequest(config, item)
    const model = modelFor(request, item)
    const capability = Models.lookup(model)
    if (capability === undefined) return { route: "invalid", model, warnings: [`unknown model ${model}`] }
    const seconds = item.durationMs === undefined ? undefined : Math.ceil(item.durationMs / 1000)
    const protocol = config.protocol ??
      (capability.protocols.includes("compatible") && hasCompatible ? "compatible" : "native")
    const stream = capability.honours.includes("stream") &&
      (request.stream ?? (item.durationMs !== undefined && item.durationMs > 60_000))
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
      warnings: [...warningsFor(capability, model, request), ...(violation !== undefined ? [violation] : [])]
    }
  }

  return Transcriber.of({
    provider: "qwen",
    transcribe,
    plan,
    requestKey: (item) => requestKey(config, item)
  })
})

/**
 * The retry schedule the sync transcriber uses (exposed for tests and docs).
 *
 * @since 0.1.0
 * @category utils
 */
export const retrySchedule = (config: QwenConfig) => RetryPolicy.toSchedule(config.retry)
