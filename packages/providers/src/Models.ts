/**
 * The model capability table: one row per model family, keyed by model prefix. Routing, validation
 * warnings and cost estimates all read it (docs/PROTOCOL.md §1, §6, §10, §11, §12).
 *
 * @since 0.1.0
 */
import * as DidYouMean from "@asrflow/core/DidYouMean"
import { Either } from "effect"
import type { Region } from "./Regions.js"
import { isInternational } from "./Regions.js"

/**
 * The request fields of the normalized `asr.transcribe` request that a family may or may not honour.
 *
 * @since 0.1.0
 * @category models
 */
export type RequestField =
  | "language_hints"
  | "context"
  | "enable_itn"
  | "stream"
  | "timestamp_granularities"
  | "vocabulary_id"
  | "disfluency_removal_enabled"
  | "sample_rate"
  | "channel_id"

/**
 * @since 0.1.0
 * @category models
 */
export type Protocol = "compatible" | "native" | "native-async"

/**
 * @since 0.1.0
 * @category models
 */
export interface Price {
  readonly amount: number
  readonly currency: "CNY" | "USD"
}

/**
 * What one model family can do.
 *
 * @since 0.1.0
 * @category models
 */
export interface Capability {
  /** The table key (a model prefix). */
  readonly family: string
  readonly mode: "sync" | "async"
  readonly protocols: ReadonlyArray<Protocol>
  readonly maxDurationSecs: number
  /** The largest accepted payload: for sync models the Base64 data URI after encoding. */
  readonly maxEncodedBytes: number
  readonly honours: ReadonlyArray<RequestField>
  readonly requestsPerMinute: number
  /** Price per second of audio in Beijing (CNY) and in the international regions (USD). */
  readonly pricePerSecond: { readonly beijing: Price; readonly international: Price }
  /** When `pricePerSecond` was taken from the price list (docs/PROTOCOL.md §11); the summary names it. */
  readonly priceDate: string
  readonly notes?: string | undefined
}

const MB = 1024 * 1024

const qwenPrice = {
  beijing: { amount: 0.00022, currency: "CNY" },
  international: { amount: 0.000035, currency: "USD" }
} as const

/**
 * The table, by model prefix; the longest matching prefix wins, so dated snapshots route like their family.
 */
const table: ReadonlyArray<Capability> = [
  {
    family: "qwen3-asr-flash-filetrans",
    mode: "async",
    protocols: ["native-async"],
    maxDurationSecs: 12 * 3600,
    maxEncodedBytes: 2048 * MB,
    honours: ["language_hints", "enable_itn", "channel_id", "timestamp_granularities"],
    requestsPerMinute: 100,
    pricePerSecond: qwenPrice,
    priceDate: "2026-11-26"
  },
  {
    family: "qwen3-asr-flash",
    mode: "sync",
    protocols: ["compatible", "native"],
    maxDurationSecs: 300,
    maxEncodedBytes: 10 * MB,
    honours: ["language_hints", "context", "enable_itn", "stream"],
    requestsPerMinute: 100,
    pricePerSecond: qwenPrice,
    priceDate: "2026-11-26"
  },
  {
    family: "qwen-audio-asr",
    mode: "sync",
    protocols: ["native"],
    // token-bound (6,144 input tokens at 25 tokens/s is about 4 min); size not documented
    maxDurationSecs: 240,
    maxEncodedBytes: 10 * MB,
    honours: [],
    requestsPerMinute: 100,
    pricePerSecond: {
      beijing: { amount: 0, currency: "CNY" },
      international: { amount: 0, currency: "USD" }
    },
    priceDate: "2026-11-26",
    notes: "Beta, free-trial quota only, Beijing only"
  }
]

/**
 * Whether a model id is a US-region variant (`qwen3-asr-flash-us`, `qwen3-asr-flash-2025-09-08-us`),
 * which has no OpenAI-compatible mode.
 *
 * @since 0.1.0
 * @category guards
 */
export const isUsVariant = (model: string): boolean => model.endsWith("-us")

/**
 * The capability of a model id by longest prefix, or `undefined` for an unknown model. `-us` variants
 * keep their family's limits but speak only the native protocol.
 *
 * @since 0.1.0
 * @category utils
 */
export const lookup = (model: string): Capability | undefined => {
  let best: Capability | undefined
  for (const row of table) {
    if (model.startsWith(row.family) && (best === undefined || row.family.length > best.family.length)) best = row
  }
  if (best === undefined) return undefined
  return isUsVariant(model) ? { ...best, protocols: best.protocols.filter((p) => p !== "compatible") } : best
}

/**
 * A model's documented request limit per minute (100 for a model the table does not know), where its rate
 * lane starts when nothing was learned.
 *
 * @since 0.2.0
 * @category utils
 */
export const documentedPerMinute = (model: string): number => lookup(model)?.requestsPerMinute ?? 100

/**
 * The closest known model id to a misspelt one: the nearest family (or `auto`), with the dated snapshot
 * and `-us` suffix of the id kept, so a typo in a snapshot's family suggests that snapshot.
 *
 * @since 0.2.0
 * @category utils
 */
export const suggest = (model: string): string | undefined => {
  const [, base = model, suffix = ""] = /^(.*?)((?:-\d{4}-\d{2}-\d{2})?(?:-us)?)$/.exec(model) ?? []
  const family = DidYouMean.closest(base, [...table.map((row) => row.family), "auto"])
  return family === undefined ? undefined : family === "auto" ? "auto" : family + suffix
}

/**
 * Like `lookup`, with a message naming the closest known id and the known families when the model is unknown.
 *
 * @since 0.1.0
 * @category utils
 */
export const resolve = (model: string): Either.Either<Capability, string> => {
  const capability = lookup(model)
  const suggestion = suggest(model)
  return capability === undefined
    ? Either.left(
      `unknown model "${model}"${
        suggestion === undefined ? "." : `; did you mean \`${suggestion}\`?`
      } Known families: ${
        table.map((row) => `${row.family}*`).join(", ")
      } (dated snapshots and -us variants route like their family), or "auto"`
    )
    : Either.right(capability)
}

/**
 * The default sync and async models that `model: auto` chooses between.
 *
 * @since 0.1.0
 * @category utils
 */
export const auto = { sync: "qwen3-asr-flash", async: "qwen3-asr-flash-filetrans" } as const

/**
 * Chooses a model for `model: auto`: sync when the audio is within the sync limits (or unknown), else async.
 *
 * @since 0.1.0
 * @category utils
 */
export const route = (
  item: { readonly durationMs?: number | undefined; readonly encodedBytes?: number | undefined }
) => {
  const sync = lookup(auto.sync)!
  const tooLong = item.durationMs !== undefined && item.durationMs > sync.maxDurationSecs * 1000
  const tooBig = item.encodedBytes !== undefined && item.encodedBytes > sync.maxEncodedBytes
  return tooLong || tooBig ? auto.async : auto.sync
}

/** The price per second for a capability in a region. */
const priceFor = (capability: Capability, region: Region): Price =>
  isInternational(region) ? capability.pricePerSecond.international : capability.pricePerSecond.beijing

/**
 * The price per billed second of a capability in a region, with its date (a plan's `price`).
 *
 * @since 0.2.0
 * @category utils
 */
export const pricePerSecond = (capability: Capability, region: Region) => {
  const price = priceFor(capability, region)
  return { perSecond: price.amount, currency: price.currency, date: capability.priceDate }
}

/**
 * The estimated cost of transcribing `seconds` of audio (billed in whole seconds).
 *
 * @since 0.1.0
 * @category utils
 */
export const estimateCost = (capability: Capability, region: Region, seconds: number): Price => {
  const price = priceFor(capability, region)
  return { amount: Math.ceil(seconds) * price.amount, currency: price.currency }
}

/**
 * The Base64 data-URI length of a payload of `bytes` bytes with the given MIME type.
 *
 * @since 0.1.0
 * @category utils
 */
export const dataUriLength = (bytes: number, mime: string): number =>
  `data:${mime};base64,`.length + 4 * Math.ceil(bytes / 3)

const formatDuration = (ms: number): string => {
  const total = Math.round(ms / 1000)
  return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, "0")}s`
}

const formatMb = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MB`

/**
 * The sync-limit violation of an item, if any: duration over the model's maximum, or a data URI over the
 * encoded size limit. The message suggests the filetrans model.
 *
 * @since 0.2.0
 * @category utils
 */
export const limitViolation = (
  capability: Capability,
  model: string,
  item: { readonly durationMs?: number | undefined; readonly encodedBytes?: number | undefined }
): string | undefined => {
  const suggestion = `use model: ${auto.async} (async, up to 12 h), model: auto, or long_audio: split`
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
