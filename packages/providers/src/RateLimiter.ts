/**
 * A per-model request pacer shared by the whole run: request starts are spaced 60 s / RPM apart.
 *
 * A token bucket that starts full lets the first burst equal the whole per-minute limit (docs/PROTOCOL.md §10),
 * which a provider that also enforces per-second limits answers with 429s. Pacing the starts keeps a batch
 * at the limit without bursts. Built on `Ref` and `Clock`, so it runs on the `TestClock`.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, Ref } from "effect"

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

/**
 * A fresh pacer; build it once per run so that every fiber shares it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<RateLimiter.Service> = Effect.gen(function*() {
  const nextSlot = yield* Ref.make(new Map<string, number>())
  const acquire = (key: string, requestsPerMinute: number) =>
    Effect.gen(function*() {
      if (!(requestsPerMinute > 0) || !Number.isFinite(requestsPerMinute)) return
      const spacing = 60_000 / requestsPerMinute
      const now = yield* Clock.currentTimeMillis
      const wait = yield* Ref.modify(nextSlot, (slots) => {
        const slot = Math.max(now, slots.get(key) ?? now)
        const updated = new Map(slots)
        updated.set(key, slot + spacing)
        return [slot - now, updated] as const
      })
      if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
    })
  return RateLimiter.of({ acquire })
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RateLimiter> = Layer.effect(RateLimiter, make)

/**
 * A pacer that never waits (for tests and one-off calls).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerUnlimited: Layer.Layer<RateLimiter> = Layer.succeed(RateLimiter, { acquire: () => Effect.void })
