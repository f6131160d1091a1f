import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Ref, TestClock } from "effect"
import * as Batcher from "../src/Batcher.js"

/** A batcher that records every batch it runs and answers each request with `<key>:<request>`. */
const recording = (options: { readonly maxSize: number; readonly lingerMs: number }) =>
  Effect.gen(function*() {
    const runs = yield* Ref.make<Array<{ key: string; requests: ReadonlyArray<number> }>>([])
    const batcher = yield* Batcher.make<number, string, string>({
      ...options,
      run: (key, requests) =>
        Ref.update(runs, (all) => [...all, { key, requests }]).pipe(
          Effect.as(
            requests.map((request) => request < 0 ? Exit.fail(`bad ${request}`) : Exit.succeed(`${key}:${request}`))
          )
        )
    })
    return { batcher, runs: Ref.get(runs) }
  })

describe("Batcher", () => {
  it.scoped("flushes a full batch at once, and the rest after the linger", () =>
    Effect.gen(function*() {
      const { batcher, runs } = yield* recording({ maxSize: 3, lingerMs: 1000 })
      const fibers = yield* Effect.forEach([1, 2, 3, 4, 5], (n) => Effect.fork(batcher.submit("a", n)))
      // the full batch is answered without the clock moving
      assert.strictEqual(yield* Fiber.join(fibers[0]!), "a:1")
      assert.deepStrictEqual((yield* runs).map((run) => run.requests), [[1, 2, 3]])
      yield* TestClock.adjust("999 millis")
      assert.strictEqual((yield* runs).length, 1)
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* Effect.forEach(fibers, Fiber.join), ["a:1", "a:2", "a:3", "a:4", "a:5"])
      assert.deepStrictEqual((yield* runs).map((run) => run.requests), [[1, 2, 3], [4, 5]])
    }))

  it.scoped("waits while requests keep coming: each arrival restarts the linger", () =>
    Effect.gen(function*() {
      const { batcher, runs } = yield* recording({ maxSize: 100, lingerMs: 1000 })
      const first = yield* Effect.fork(batcher.submit("a", 1))
      yield* TestClock.adjust("800 millis")
      const second = yield* Effect.fork(batcher.submit("a", 2))
      yield* TestClock.adjust("800 millis")
      assert.strictEqual((yield* runs).length, 0)
      yield* TestClock.adjust("200 millis")
      assert.deepStrictEqual([yield* Fiber.join(first), yield* Fiber.join(second)], ["a:1", "a:2"])
      assert.deepStrictEqual((yield* runs).map((run) => run.requests), [[1, 2]])
    }))

  it.scoped("keeps keys apart, and one request's failure is its own", () =>
    Effect.gen(function*() {
      const { batcher, runs } = yield* recording({ maxSize: 2, lingerMs: 50 })
      const fibers = yield* Effect.forEach([["a", 1], ["b", 2], ["a", -3]] as const, ([key, n]) =>
        Effect.fork(Effect.either(batcher.submit(key, n))))
      yield* TestClock.adjust("50 millis")
      const outcomes = yield* Effect.forEach(fibers, Fiber.join)
      assert.deepStrictEqual(
        outcomes.map((o) =>
          o._tag === "Right" ? o.right : `error ${o.left}`
        ),
        [
          "a:1",
          "b:2",
          "error bad -3"
        ]
      )
      assert.deepStrictEqual((yield* runs).map((run) => [run.key, run.requests]), [["a", [1, -3]], ["b", [2]]])
    }))

  it.scoped("a caller interrupted while waiting does not stop its batch for the others", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const batcher = yield* Batcher.make<number, number, never>({
        maxSize: 2,
        lingerMs: 10,
        run: (_, requests) =>
          Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(Deferred.await(release)),
            Effect.as(requests.map((n) => Exit.succeed(n * 10)))
          )
      })
      const a = yield* Effect.fork(batcher.submit("k", 1))
      const b = yield* Effect.fork(batcher.submit("k", 2))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(a)
      yield* Deferred.succeed(release, undefined)
      assert.strictEqual(yield* Fiber.join(b), 20)
    }))
})
