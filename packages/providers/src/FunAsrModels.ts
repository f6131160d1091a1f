/**
 * The Fun-ASR/Paraformer capability table: one row per model family, keyed by model prefix (the longest prefix
 * wins, so dated snapshots route like their family). Validation warnings, the submit parameters, the rate limit
 * and cost estimates all read it (docs/PROTOCOL.md §10, §11, §13).
 *
 * Every family takes batches of up to 100 file URLs per submit and the same task API; they differ in which
 * parameters they honour, in how they read language hints, in their regions and in their documented rate limits.
 *
 * @since 0.2.0
 */
import { Either } from "effect"
import type { Price } from "./Models.js"
import type { Region } from "./Regions.js"
import { isInternational } from "./Regions.js"

/**
 * The Fun-ASR/Paraformer request parameters (docs/PROTOCOL.md §13.1), by their wire names.
 *
 * @since 0.2.0
 * @category models
 */
export type Parameter =
  | "language_hints"
  | "vocabulary_id"
  | "diarization_enabled"
  | "speaker_count"
  | "disfluency_removal_enabled"
  | "timestamp_alignment_enabled"
  | "special_word_filter"
  | "channel_id"

/**
 * Every parameter of the family, in the order the docs list them.
 *
 * @since 0.2.0
 * @category constants
 */
export const parameters: ReadonlyArray<Parameter> = [
  "language_hints",
  "vocabulary_id",
  "diarization_enabled",
  "speaker_count",
  "disfluency_removal_enabled",
  "timestamp_alignment_enabled",
  "special_word_filter",
  "channel_id"
]

/**
 * What one model family can do.
 *
 * @since 0.2.0
 * @category models
 */
export interface Capability {
  /** The table key (a model prefix). */
  readonly family: string
  readonly honours: ReadonlyArray<Parameter>
  /** Only the first language hint is read; the others are dropped with a warning. */
  readonly firstHintOnly: boolean
  /** Submits per minute per model (each dated snapshot counts as its own model). */
  readonly requestsPerMinute: number
  readonly regions: ReadonlyArray<Region>
  /** Price per second of audio in Beijing (CNY) and in the international regions (USD), when listed there. */
  readonly pricePerSecond: { readonly beijing?: Price | undefined; readonly international?: Price | undefined }
  /** When `pricePerSecond` was taken from the price list (docs/PROTOCOL.md §11, §13); the summary names it. */
  readonly priceDate: string
}

/**
 * The most file URLs one submit may carry.
 *
 * @since 0.2.0
 * @category constants
 */
export const maxFilesPerSubmit = 100

const everything = parameters

const funAsrPrice = {
  beijing: { amount: 0.00022, currency: "CNY" },
  international: { amount: 0.000035, currency: "USD" }
} as const

const table: ReadonlyArray<Capability> = [
  {
    family: "fun-asr-mtl",
    honours: everything,
    firstHintOnly: true,
    requestsPerMinute: 100,
    regions: ["cn-beijing", "ap-southeast-1"],
    pricePerSecond: funAsrPrice,
    priceDate: "2026-11-30"
  },
  {
    family: "fun-asr",
    honours: everything,
    firstHintOnly: true,
    requestsPerMinute: 600,
    regions: ["cn-beijing", "ap-southeast-1"],
    pricePerSecond: funAsrPrice,
    priceDate: "2026-11-30"
  },
  {
    family: "paraformer-v2",
    honours: everything,
    firstHintOnly: false,
    requestsPerMinute: 1200,
    regions: ["cn-beijing"],
    pricePerSecond: { beijing: { amount: 0.00008, currency: "CNY" } },
    priceDate: "2026-11-30"
  },
  {
    // Chinese telephone audio: no language choice
    family: "paraformer-8k-v2",
    honours: everything.filter((parameter) => parameter !== "language_hints"),
    firstHintOnly: false,
    // documented as 20 submits per second (and at most 100 tasks running at once)
    requestsPerMinute: 1200,
    regions: ["cn-beijing"],
    pricePerSecond: { beijing: { amount: 0.00008, currency: "CNY" } },
    priceDate: "2026-11-30"
  }
]

/**
 * The capability of a model id by longest prefix, or `undefined` for a model this family does not serve.
 *
 * @since 0.2.0
 * @category utils
 */
export const lookup = (model: string): Capability | undefined => {
  let best: Capability | undefined
  for (const row of table) {
    if (model.startsWith(row.family) && (best === undefined || row.family.length > best.family.length)) best = row
  }
  return best
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
 * Like `lookup`, with a message naming the known families when the model is unknown.
 *
 * @since 0.2.0
 * @category utils
 */
export const resolve = (model: string): Either.Either<Capability, string> => {
  const capability = lookup(model)
  return capability === undefined
    ? Either.left(
      `unknown model "${model}": the funasr provider serves ${
        table.map((row) => `${row.family}*`).join(", ")
      } (dated snapshots route like their family); Qwen models use type: qwen`
    )
    : Either.right(capability)
}

/**
 * The price per billed second of a capability in a region, with its date, when the model is priced there.
 *
 * @since 0.2.0
 * @category utils
 */
export const pricePerSecond = (capability: Capability, region: Region) => {
  const price = isInternational(region) ? capability.pricePerSecond.international : capability.pricePerSecond.beijing
  return price === undefined
    ? undefined
    : { perSecond: price.amount, currency: price.currency, date: capability.priceDate }
}

/**
 * The estimated cost of `seconds` of audio (billed in whole seconds), when the model is priced in the region.
 *
 * @since 0.2.0
 * @category utils
 */
export const estimateCost = (capability: Capability, region: Region, seconds: number): Price | undefined => {
  const price = isInternational(region) ? capability.pricePerSecond.international : capability.pricePerSecond.beijing
  return price === undefined ? undefined : { amount: Math.ceil(seconds) * price.amount, currency: price.currency }
}
