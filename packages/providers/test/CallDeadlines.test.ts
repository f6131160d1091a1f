import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Schedule, TestClock } from "effect"
import * as CallDeadlines from "../src/internal/callDeadlines.js"

class TimedOut {
  readonly _tag = "TimedOut"
  constructor(readonly call: string) {}
}

describe("CallDeadlines", () => {
  it.effect("times each call out at its own deadline, and only the calls that outlive it", () =>
    Effect.gen(function*() {
      const within = CallDeadlines.make(5_000)
      const call = (name: string, self: Effect.Effect<string>) =>
        Effect.fork(Effect.exit(within(self, () => new TimedOut(name))))
      const first = yield* call("first", Effect.never)
      const quick = yield* call("quick", Effect.as(Effect.sleep("1 second"), "answered"))
      yield* TestClock.adjust("3 seconds")
      const second = yield* call("second", Effect.never)
      const third = yield* call("third", Effect.as(Effect.sleep("4 seconds"), "answered late"))

      assert.deepStrictEqual(yield* Fiber.join(quick), Exit.succeed("answered"))
      yield* TestClock.adjust("2 seconds") // t = 5 s: the first call's deadline
      assert.deepStrictEqual(yield* Fiber.join(first), Exit.fail(new TimedOut("first")))
      assert.isNull(second.unsafePoll())
      assert.isNull(third.unsafePoll())

      yield* TestClock.adjust("2 seconds") // t = 7 s: the third call answers within its 5 s
      assert.deepStrictEqual(yield* Fiber.join(third), Exit.succeed("answered late"))
      assert.isNull(second.unsafePoll())
      yield* TestClock.adjust("1 second") // t = 8 s: the second call's deadline
      assert.deepStrictEqual(yield* Fiber.join(second), Exit.fail(new TimedOut("second")))
    }))

  it.effect("passes a call's own failure through, and watches again after an idle spell", () =>
    Effect.gen(function*() {
      const within = CallDeadlines.make(5_000)
      const failed = yield* Effect.exit(within(Effect.fail("refused" as const), () => new TimedOut("x")))
      assert.deepStrictEqual(failed, Exit.fail("refused"))
      const answered = yield* within(Effect.succeed(42), () => new TimedOut("y"))
      assert.strictEqual(answered, 42)
      yield* TestClock.adjust("10 seconds")
      const late = yield* Effect.fork(Effect.exit(within(Effect.never, () => new TimedOut("late"))))
      yield* TestClock.adjust("4 seconds")
      assert.isNull(late.unsafePoll())
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.join(late), Exit.fail(new TimedOut("late")))
    }))

  // what a script cares about: once its calls are over, no timer keeps its process alive until some deadline
  it.live("holds a live timer only while a call is pending", () => {
    const limitMs = 600_000
    const set = globalThis.setTimeout
    const clear = globalThis.clearTimeout
    const armed = new Set<unknown>()
    const watching = () => armed.size
    const spyOnTimers = Effect.sync(() => {
      globalThis.setTimeout = ((handler: () => void, ms?: number) => {
        const timer = set(handler, ms)
        // the watcher sleeps from its own turn to the deadline: a little less than the limit on a loaded machine
        if (ms !== undefined && ms > limitMs / 2) armed.add(timer)
        return timer
      }) as typeof setTimeout
      globalThis.clearTimeout = ((timer: Parameters<typeof clearTimeout>[0]) => {
        armed.delete(timer)
        clear(timer)
      }) as typeof clearTimeout
    })
    const restoreTimers = Effect.sync(() => {
      globalThis.setTimeout = set
      globalThis.clearTimeout = clear
    })
    // the watcher is told to stop and stops on its next turn: wait for that turn, however long the machine takes
    const watchingBecomes = (count: number) =>
      Effect.suspend(() => watching() === count ? Effect.void : Effect.fail("not yet" as const)).pipe(
        Effect.retry({ times: 500, schedule: Schedule.spaced("10 millis") }),
        Effect.ignore,
        Effect.map(watching)
      )
    const calls = Effect.gen(function*() {
      const within = CallDeadlines.make(limitMs)
      const pending = yield* Effect.fork(within(Effect.never, () => new TimedOut("pending")))
      assert.strictEqual(yield* watchingBecomes(1), 1)
      yield* Fiber.interrupt(pending)
      assert.strictEqual(yield* watchingBecomes(0), 0)
      assert.strictEqual(yield* within(Effect.succeed("answered"), () => new TimedOut("answered")), "answered")
      assert.strictEqual(yield* watchingBecomes(0), 0)
    })
    return Effect.acquireUseRelease(spyOnTimers, () => calls, () => restoreTimers)
  })

  it.effect("interrupts the call when its caller is interrupted", () =>
    Effect.gen(function*() {
      const within = CallDeadlines.make(5_000)
      const started = yield* Deferred.make<void>()
      const stopped = yield* Deferred.make<void>()
      const call = Deferred.succeed(started, undefined).pipe(
        Effect.zipRight(Effect.never),
        Effect.onInterrupt(() => Deferred.succeed(stopped, undefined))
      )
      const caller = yield* Effect.fork(within(call, () => new TimedOut("call")))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(caller)
      assert.isTrue(yield* Deferred.isDone(stopped))
    }))
})
