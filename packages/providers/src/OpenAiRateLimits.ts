/**
 * What an OpenAI-compatible server says about its rate limits, and the one wait before each request start
 * (docs/PROTOCOL.md, OpenAI-compatible transcription): `x-ratelimit-limit-requests` (the budget per minute)
 * paces starts when the config gives no `requests_per_minute`, and `x-ratelimit-remaining-requests: 0` holds the
 * next start until `x-ratelimit-reset-requests` has passed. `Retry-After` (and `retry-after-ms`) on a 429 is
 * honoured by the retry schedule (`retryAfterMs` on the error).
 *
 * @since 0.2.0
 */
import { Clock, Duration, Effect, Ref } from "effect"
import { pace } from "./internal/pace.js"
import type { RateLimiter } from "./RateLimiter.js"

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
 * The rate control of one server for a run.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (limiter: RateLimiter.Service, configured: number | undefined) =>
  Effect.map(Ref.make<Observed>({}), (observed) => ({
    /** Records what an answer's headers said. */
    observe: (headers: Readonly<Record<string, string>>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const seen = fromHeaders(headers, now)
        return seen.limit === undefined && seen.remaining === undefined ? Effect.void : Ref.set(observed, seen)
      }),
    /** Waits for the next start of `model`: a spent budget until its reset, then the per-minute pacing. */
    acquire: (model: string) =>
      Effect.gen(function*() {
        const seen = yield* Ref.get(observed)
        const now = yield* Clock.currentTimeMillis
        if (seen.remaining === 0 && seen.resetAt !== undefined && seen.resetAt > now) {
          yield* Effect.sleep(Duration.millis(seen.resetAt - now))
        }
        const rpm = configured ?? seen.limit
        if (rpm !== undefined) yield* pace(limiter, model, rpm)
      })
  }))
