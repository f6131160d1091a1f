/**
 * A per-model request pacer shared by the whole run: request starts are spaced 60 s / RPM apart.
 *
 * A token bucket that starts full lets the first burst equal the whole per-minute limit (docs/PROTOCOL.md
 * §10), which a provider that also enforces per-second limits answers with 429s. Pacing the starts
 * keeps a batch at the limit without bursts. Each key is one lane: a start waits for the previous one to have
 * *happened* (not merely been scheduled), so a stalled event loop cannot release a burst of overdue starts.
 * Built on `Clock`, so it runs on the `TestClock`.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, Ref, SynchronizedRef } from "effect"

/**
 * @since 0.1.0
 * @category context
 */
export class RateLimiter extends Context.Tag("@asrflow/providers/RateLimiter")<RateLimiter, RateLimiter.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace RateLimiter {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Waits for the next start slot of `key` (a model id) at `requestsPerMinute`. */
    readonly acquire: (key: string, requestsPerMinute: number) => Effect.Effect<void>
  }
}

interface Lane {
  readonly lock: Effect.Semaphore
  readonly lastStart: Ref.Ref<number | undefined>
}

/**
 * A fresh pacer; build it once per run so that every fiber shares it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<RateLimiter.Service> = Effect.gen(function*() {
  const lanes = yield* SynchronizedRef.make(new Map<string, Lane>())
  const laneOf = (key: string) =>
    SynchronizedRef.modifyEffect(lanes, (all) => {
      const found = all.get(key)
      if (found !== undefined) return Effect.succeed([found, all] as const)
      return Effect.map(
        Effect.all({ lock: Effect.makeSemaphore(1), lastStart: Ref.make<number | undefined>(undefined) }),
        (lane) => [lane, new Map(all).set(key, lane)] as const
      )
    })
  const acquire = (key: string, requestsPerMinute: number) => {
    if (!(requestsPerMinute > 0) || !Number.isFinite(requestsPerMinute)) return Effect.void
    const spacing = 60_000 / requestsPerMinute
    return Effect.flatMap(laneOf(key), (lane) =>
      lane.lock.withPermits(1)(Effect.gen(function*() {
        const previous = yield* Ref.get(lane.lastStart)
        const now = yield* Clock.currentTimeMillis
        if (previous !== undefined && previous + spacing > now) {
          yield* Effect.sleep(Duration.millis(previous + spacing - now))
        }
        yield* Ref.set(lane.lastStart, yield* Clock.currentTimeMillis)
      })))
  }
  return RateLimiter.of({ acquire })
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RateLimiter> = Layer.effect(RateLimiter, make)
