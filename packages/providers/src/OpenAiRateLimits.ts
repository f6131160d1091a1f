/**
 * The rate control of an OpenAI-compatible server (docs/PROTOCOL.md, OpenAI-compatible transcription): request
 * starts go through the run's `RateController`, one lane per server, key and model, at the pipeline's
 * `rate_limit` (by default `auto`: from `documentedPerMinute`, probing upward, backing off on throttling), and
 * `x-ratelimit-remaining-requests: 0` holds the next start until `x-ratelimit-reset-requests` has passed.
 * `Retry-After` (and `retry-after-ms`) on a 429 is honoured by the lane and the retry schedule.
 *
 * @since 0.2.0
 */
import type { RateLimitBlock } from "@asrflow/core/Policies"
import * as RateController from "@asrflow/core/RateController"
import type { TranscriptionError } from "@asrflow/core/Transcriber"
import { Clock, Duration, Effect, Option, Ref } from "effect"

/**
 * Where an `auto` lane starts when nothing was learned: OpenAI's lowest paid tier allows 500 requests per
 * minute on its audio models; servers that allow more are found by probing, servers that allow less answer 429s.
 *
 * @since 0.2.0
 * @category constants
 */
export const documentedPerMinute = 500

/**
 * The server's last word on its request budget.
 *
 * @since 0.2.0
 * @category models
 */
export interface Observed {
  readonly limit?: number | undefined
  readonly remaining?: number | undefined
  /** Epoch ms when the budget is whole again. */
  readonly resetAt?: number | undefined
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * `1s`, `6m0s`, `1.5s`, `120ms` as milliseconds (the format of `x-ratelimit-reset-*`).
 *
 * @since 0.2.0
 * @category utils
 */
export const parseReset = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  if (parts.length === 0) return undefined
  return Math.round(parts.reduce((sum, [, value, unit]) => sum + Number(value) * UNITS[unit!]!, 0))
}

const number = (text: string | undefined): number | undefined => {
  const value = text === undefined ? NaN : Number(text)
  return Number.isFinite(value) ? value : undefined
}

/**
 * Reads the `x-ratelimit-*-requests` headers of an answer.
 *
 * @since 0.2.0
 * @category utils
 */
export const fromHeaders = (headers: Readonly<Record<string, string>>, now: number): Observed => {
  const reset = parseReset(headers["x-ratelimit-reset-requests"])
  return {
    limit: number(headers["x-ratelimit-limit-requests"]),
    remaining: number(headers["x-ratelimit-remaining-requests"]),
    resetAt: reset === undefined ? undefined : now + reset
  }
}

/**
 * The lane of each model of one server and key, in the run's controller (or a fresh one outside a run).
 *
 * @since 0.2.0
 * @category constructors
 */
export const lanes = (
  server: { readonly baseUrl: string; readonly account: string },
  rateLimit: RateLimitBlock
): Effect.Effect<(model: string) => Effect.Effect<RateController.Lane>> =>
  Effect.map(RateController.fromContext, (controller) => {
    const host = Option.getOrElse(
      Option.liftThrowable(() => new URL(server.baseUrl).host)(),
      () => server.baseUrl
    )
    return (model) =>
      controller.lane({
        key: { provider: "openai", account: server.account, region: host, model, endpoint: "transcriptions" },
        rateLimit,
        documented: documentedPerMinute
      })
  })

/**
 * The rate control of one server for a run: `paced` waits out a spent budget, then starts the request in the
 * model's lane and reports how it ended.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (laneOf: (model: string) => Effect.Effect<RateController.Lane>) =>
  Effect.map(Ref.make<Observed>({}), (observed) => ({
    /** Records what an answer's headers said. */
    observe: (headers: Readonly<Record<string, string>>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const seen = fromHeaders(headers, now)
        return seen.limit === undefined && seen.remaining === undefined ? Effect.void : Ref.set(observed, seen)
      }),
    /** Starts `request` for `model`: after a spent budget's reset, at the lane's pace. */
    paced: <A, R>(model: string, request: Effect.Effect<A, TranscriptionError, R>) =>
      Effect.gen(function*() {
        const seen = yield* Ref.get(observed)
        const now = yield* Clock.currentTimeMillis
        if (seen.remaining === 0 && seen.resetAt !== undefined && seen.resetAt > now) {
          yield* Effect.sleep(Duration.millis(seen.resetAt - now))
        }
        const lane = yield* laneOf(model)
        return yield* lane.paced(request)
      })
  }))
