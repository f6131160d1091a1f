/**
 * Which route an item takes with the qwen provider (`long_audio`): whole to a sync model, to the async
 * filetrans model, or split into chunks for a sync model; and for `auto` (the default of `model: auto`)
 * the faster of split and async by `RouteEstimate`, from the item's duration, the lane's rate and the
 * latencies this provider measured in this and earlier runs (kept in the ledger as observations). A
 * choice is recorded for the item (stage `route`), so a resumed item keeps its route.
 *
 * @since 0.2.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import { Ledger } from "@asrflow/core/Ledger"
import * as RouteEstimate from "@asrflow/core/RouteEstimate"
import type { Plan } from "@asrflow/core/Transcriber"
import { Effect, Option, Schema } from "effect"
import type * as Wire from "./internal/schemas.js"
import * as Models from "./Models.js"
import type { QwenConfig } from "./QwenConfig.js"
import { effectiveRequest, mimeOf, requestKey as baseRequestKey, warningsFor } from "./QwenRequest.js"

/**
 * `decide`: split or async, by expected completion time (see `choose`).
 *
 * @since 0.2.0
 * @category models
 */
export type Route = "sync" | "async" | "split" | "decide"

const provider = "qwen"
const routeStage = "route"

/**
 * The sync model an item is sent to whole or in chunks: the configured one when it is sync, else the
 * default sync model (for `auto` and filetrans models told to split).
 *
 * @since 0.2.0
 * @category utils
 */
export const syncModelFor = (config: QwenConfig, item: Pick<AudioItem, "overrides">): string => {
  const model = effectiveRequest(config, item).model
  return Models.lookup(model)?.mode === "sync" ? model : Models.auto.sync
}

/** Whether the item is over the sync model's duration or data-URI limits. */
const isOver = (capability: Models.Capability, item: AudioItem): boolean => {
  const tooLong = item.durationMs !== undefined && item.durationMs > capability.maxDurationSecs * 1000
  const encoded = item.isLocal && item.sizeBytes !== undefined
    ? Models.dataUriLength(item.sizeBytes, mimeOf(item) ?? "audio/wav")
    : undefined
  return tooLong || (encoded !== undefined && encoded > capability.maxEncodedBytes)
}

/**
 * The longest chunk for a sync model, in ms: the split policy's, never above the model's limit.
 *
 * @since 0.2.0
 * @category utils
 */
export const maxChunkMs = (config: QwenConfig, model: string): number =>
  Math.min(config.split.max_chunk_seconds, Models.lookup(model)?.maxDurationSecs ?? 300) * 1000

/**
 * Whether the item is too long or too large to go whole (to the sync model, or as one chunk).
 *
 * @since 0.2.0
 * @category utils
 */
export const isLong = (config: QwenConfig, item: AudioItem): boolean => {
  const model = syncModelFor(config, item)
  const capability = Models.lookup(model)
  return capability !== undefined && isOver(capability, item)
}

/**
 * The `long_audio` in force: the configured one, else `auto` for `model: auto`.
 *
 * @since 0.2.0
 * @category utils
 */
export const longAudioOf = (config: QwenConfig, item: Pick<AudioItem, "overrides">) =>
  config.long_audio ?? (effectiveRequest(config, item).model === "auto" ? "auto" as const : undefined)

/**
 * The route of an item, without any I/O. Only local files are split; a filetrans model stays async unless
 * told `long_audio: split`; an explicit sync model goes whole unless `long_audio` says otherwise (and
 * then a too-long item fails with the limit's message).
 *
 * @since 0.2.0
 * @category utils
 */
export const routeOf = (config: QwenConfig, item: AudioItem): Route => {
  if (config.async === true) return "async"
  const model = effectiveRequest(config, item).model
  const mode = model === "auto" ? "auto" : Models.lookup(model)?.mode
  const longAudio = longAudioOf(config, item)
  const over = isLong(config, item)
  const longer = over ||
    (item.durationMs !== undefined && item.durationMs > maxChunkMs(config, syncModelFor(config, item)))
  if (longAudio === "split") {
    if (item.isLocal) return longer ? "split" : "sync"
    return over && mode !== "sync" ? "async" : mode === "async" ? "async" : "sync"
  }
  if (mode === "async") return "async"
  if (!over) return "sync"
  if (longAudio === "async") return mode === "auto" ? "async" : "sync"
  if (longAudio === "auto") {
    if (!item.isLocal) return mode === "auto" ? "async" : "sync"
    return mode === "auto" ? "decide" : "split"
  }
  return "sync"
}

/**
 * The item's request key: the sync and async one, plus `long_audio` when it is set and the item is long
 * enough for it to matter (a split item's outputs differ from an async one's). The route `auto` picks is
 * recorded for the item instead, so that the key does not change with what was measured.
 *
 * @since 0.2.0
 * @category utils
 */
export const requestKey = (config: QwenConfig, item: AudioItem): string => {
  const route = routeOf(config, item)
  const matters = config.long_audio !== undefined && (route === "split" || isLong(config, item))
  return baseRequestKey(config, item, matters ? { long_audio: config.long_audio } : undefined)
}

// =============================================================================
// Observations
// =============================================================================

const SyncSample = Schema.Struct({ latencyMs: Schema.Number, audioMs: Schema.Number })
const AsyncSample = Schema.Struct({ queueMs: Schema.Number, runMs: Schema.Number, audioMs: Schema.Number })
const samplesKept = 50

const samples = <A, I>(schema: Schema.Schema<A, I>, name: string) =>
  Effect.flatMap(Effect.serviceOption(Ledger), (ledger) =>
    Option.isNone(ledger)
      ? Effect.succeed([] as Array<A>)
      : Effect.map(
        ledger.value.observations(provider, name, samplesKept),
        (states) => states.flatMap((state) => Option.toArray(Schema.decodeUnknownOption(schema)(state)))
      ))

const observe = (name: string, state: unknown) =>
  Effect.flatMap(
    Effect.serviceOption(Ledger),
    (ledger) => Option.isNone(ledger) ? Effect.void : ledger.value.observe(provider, name, state)
  )

/**
 * Records how long a sync answer took for how much audio.
 *
 * @since 0.2.0
 * @category utils
 */
export const observeSync = (model: string, latencyMs: number, audioMs: number | undefined) =>
  audioMs === undefined ? Effect.void : observe(`sync:${model}`, { latencyMs, audioMs })

/**
 * `observeSync` at most once a second per model (`now` from the caller's `Clock`): the route estimate reads
 * the newest samples only, and a sample for every request cost a ledger transaction per item of a batch.
 *
 * @since 0.3.0
 * @category utils
 */
export const syncSampler = () => {
  const observedAt = new Map<string, number>()
  return (model: string, now: number, latencyMs: number, audioMs: number | undefined): Effect.Effect<void> => {
    if (audioMs === undefined || now - (observedAt.get(model) ?? Number.NEGATIVE_INFINITY) < 1000) return Effect.void
    observedAt.set(model, now)
    return observeSync(model, latencyMs, audioMs)
  }
}

/** DashScope task times: `YYYY-MM-DD HH:mm:ss.SSS` in UTC+8. */
const taskTime = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  const ms = Date.parse(`${text.trim().replace(" ", "T")}+08:00`)
  return Number.isFinite(ms) ? ms : undefined
}

/**
 * Records a finished task's queue wait (submit to scheduled) and processing (scheduled to end).
 *
 * @since 0.2.0
 * @category utils
 */
export const observeAsync = (model: string, output: Wire.TaskResponse["output"], audioMs: number | undefined) => {
  const submitted = taskTime(output.submit_time)
  const scheduled = taskTime(output.scheduled_time)
  const ended = taskTime(output.end_time)
  if (audioMs === undefined || submitted === undefined || scheduled === undefined || ended === undefined) {
    return Effect.void
  }
  return observe(`async:${model}`, { queueMs: scheduled - submitted, runMs: ended - scheduled, audioMs })
}

// =============================================================================
// The choice
// =============================================================================

/**
 * The sync lane's rate the split estimate assumes, in requests per minute: the told rate, else the model's
 * documented one (where an `auto` lane starts; one that learned more only makes split faster than estimated).
 *
 * @since 0.2.0
 * @category utils
 */
export const laneRate = (config: QwenConfig, model: string): number =>
  (typeof config.rate_limit === "object" ? config.rate_limit.requests_per_minute : undefined) ??
    Models.documentedPerMinute(model)

/**
 * The expected completion times of both routes for an item.
 *
 * @since 0.2.0
 * @category utils
 */
export const estimate = (config: QwenConfig, item: AudioItem) =>
  Effect.gen(function*() {
    const syncModel = syncModelFor(config, item)
    const durationMs = item.durationMs ?? 0
    const split = RouteEstimate.splitMs({
      durationMs,
      maxChunkMs: maxChunkMs(config, syncModel),
      requestsPerMinute: laneRate(config, syncModel),
      sync: yield* samples(SyncSample, `sync:${syncModel}`)
    })
    // an upload at about 10 MB/s, and half the first poll's wait
    const overheadMs = (item.sizeBytes ?? 0) / 10_000 + config.poll.initial_interval_ms / 2
    const async = RouteEstimate.asyncMs({
      durationMs,
      overheadMs,
      async: yield* samples(AsyncSample, `async:${Models.auto.async}`)
    })
    return { split, async }
  })

/**
 * Resolves `decide` for an item: the route recorded for it by an earlier run, async when an earlier run
 * left it a remote job, else the one expected to finish first (then recorded).
 *
 * @since 0.2.0
 * @category utils
 */
export const choose = (config: QwenConfig, item: AudioItem): Effect.Effect<"split" | "async"> =>
  Effect.gen(function*() {
    const ledger = Option.getOrUndefined(yield* Effect.serviceOption(Ledger))
    const fingerprint = item.fingerprint
    if (ledger !== undefined && fingerprint !== undefined) {
      const recorded = Option.flatMap(
        yield* ledger.stage(fingerprint, routeStage),
        (stage) => Schema.decodeUnknownOption(Schema.Struct({ route: Schema.Literal("split", "async") }))(stage.state)
      )
      if (Option.isSome(recorded)) return recorded.value.route
      const job = yield* ledger.latestJob(fingerprint, provider)
      if (Option.isSome(job) && (job.value.status === "submitting" || job.value.status === "submitted")) return "async"
    }
    const expected = yield* estimate(config, item)
    const route = expected.split <= expected.async ? "split" as const : "async" as const
    yield* Effect.logDebug("long audio route").pipe(
      Effect.annotateLogs({ route, split_ms: Math.round(expected.split), async_ms: Math.round(expected.async) })
    )
    if (ledger !== undefined && fingerprint !== undefined) {
      yield* ledger.recordStage(fingerprint, {
        itemId: item.id,
        name: routeStage,
        state: { route, expectedMs: { split: Math.round(expected.split), async: Math.round(expected.async) } }
      })
    }
    return route
  })

// =============================================================================
// Dry runs
// =============================================================================

/**
 * What `--dry-run` says of a split item, or of one whose route `auto` decides when it runs (estimated
 * here with what is known without the ledger).
 *
 * @since 0.2.0
 * @category utils
 */
export const plan = (config: QwenConfig, item: AudioItem, route: "split" | "decide"): Plan => {
  const model = syncModelFor(config, item)
  const capability = Models.lookup(model)!
  const seconds = item.durationMs === undefined ? undefined : Math.ceil(item.durationMs / 1000)
  const chunks = item.durationMs === undefined ? undefined : Math.ceil(item.durationMs / maxChunkMs(config, model))
  const split = route === "split"
    ? "split"
    : (() => {
      const durationMs = item.durationMs ?? 0
      const expectedSplit = RouteEstimate.splitMs({
        durationMs,
        maxChunkMs: maxChunkMs(config, model),
        requestsPerMinute: laneRate(config, model),
        sync: []
      })
      const expectedAsync = RouteEstimate.asyncMs({ durationMs, overheadMs: 0, async: [] })
      return expectedSplit <= expectedAsync ? "split" : "async"
    })()
  const label = `${route === "decide" ? "auto → " : ""}${split}${
    split === "split" && chunks !== undefined ? ` (about ${chunks}+ chunks)` : ""
  }`
  return {
    route: label,
    model: split === "split" ? model : Models.auto.async,
    estimatedSeconds: seconds,
    estimatedCost: seconds === undefined ? undefined : Models.estimateCost(capability, config.region, seconds),
    price: Models.pricePerSecond(capability, config.region),
    warnings: warningsFor(capability, model, effectiveRequest(config, item))
  }
}
