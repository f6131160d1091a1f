import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Ref, TestClock } from "effect"
import * as RateLimiter from "../src/RateLimiter.js"

const startTimes = (limiter: RateLimiter.RateLimiter.Service, key: string, rpm: number, n: number) =>
  Effect.gen(function*() {
    const starts = yield* Ref.make<Array<number>>([])
    const fiber = yield* Effect.forEach(
      Array.from({ length: n }),
      () =>
        limiter.acquire(key, rpm).pipe(
          Effect.zipRight(Clock.currentTimeMillis),
          Effect.flatMap((at) => Ref.update(starts, (all) => [...all, Number(at)]))
        ),
      { concurrency: "unbounded", discard: true }
    ).pipe(Effect.fork)
    return { fiber, starts }
  })

describe("RateLimiter", () => {
  it.effect("spaces N concurrent starts 60 s / RPM apart, without an initial burst", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make
      const { fiber, starts } = yield* startTimes(limiter, "qwen3-asr-flash", 100, 5)
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Ref.get(starts), [0, 600])
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(yield* Ref.get(starts), [0, 600, 1200, 1800, 2400])
    }))

  it.effect("keeps a separate pace per model", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make
      const a = yield* startTimes(limiter, "a", 60, 3)
      const b = yield* startTimes(limiter, "b", 30, 2)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(a.fiber)
      yield* Fiber.join(b.fiber)
      assert.deepStrictEqual(yield* Ref.get(a.starts), [0, 1000, 2000])
      assert.deepStrictEqual(yield* Ref.get(b.starts), [0, 2000])
    }))

  it.effect("does not wait when requests come slower than the pace", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make
      yield* limiter.acquire("m", 60)
      yield* TestClock.adjust("5 seconds")
      const before = yield* Clock.currentTimeMillis
      yield* limiter.acquire("m", 60)
      assert.strictEqual(yield* Clock.currentTimeMillis, before)
    }))
})
