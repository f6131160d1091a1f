/**
 * One time limit for many calls at once, kept by one fiber. A call runs in a fiber of its own; when its time is up
 * the watcher interrupts that fiber, and the caller turns the interruption into the call's timeout error.
 *
 * `Effect.timeoutFail` races every call against a sleep of its own: two fibers, a timer set and cleared, and the
 * losing sleep unwound, about 55 runtime steps of a sync request's 200 (issue 18). Here a call costs one fiber and
 * two set operations. Calls under one limit reach their deadlines in the order they start, so the watcher sleeps
 * until the oldest call's deadline only; it runs while calls are pending and stops with the last one, so an idle
 * client holds no timer (a script's process ends when its work does). Time is the fiber's `Clock`: a test's
 * `TestClock` drives it. The state is plain (a set of pending calls, the watcher), read and changed only inside
 * one synchronous body at a time, where no other fiber runs.
 *
 * @internal
 */
import { Clock, Context, Duration, Effect, Exit, Fiber, FiberId, Runtime } from "effect"

interface Pending {
  readonly deadline: number
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown>
  expired: boolean
}

/** A watcher's own record: a stopped watcher still on its last turn must not forget the one after it. */
interface Watcher {
  fiber: Fiber.RuntimeFiber<void> | undefined
}

/** `within(effect, onTimeout)`: the effect, failing with `onTimeout()` once it has run `limitMs`. */
export const make = (limitMs: number) => {
  // insertion order is deadline order: every call gets the same limit, on a clock that never goes back
  const pending = new Set<Pending>()
  let watcher: Watcher | undefined

  const watch = (self: Watcher): Effect.Effect<void> =>
    Effect.clockWith((clock) => {
      const now = clock.unsafeCurrentTimeMillis()
      for (const call of pending) {
        if (call.deadline > now) return Effect.zipRight(clock.sleep(Duration.millis(call.deadline - now)), watch(self))
        pending.delete(call)
        call.expired = true
        call.fiber.unsafeInterruptAsFork(FiberId.none)
      }
      if (watcher === self) watcher = undefined
      return Effect.void
    })

  const settle = (call: Pending) => {
    pending.delete(call)
    if (pending.size === 0 && watcher !== undefined) {
      // nothing left to watch: its sleep (a live timer) goes now, not at a deadline that no longer matters
      watcher.fiber?.unsafeInterruptAsFork(FiberId.none)
      watcher = undefined
    }
  }

  return <A, E, R, E2>(self: Effect.Effect<A, E, R>, onTimeout: () => E2): Effect.Effect<A, E | E2, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Effect.fork(restore(self)), (fiber) =>
        Effect.withFiberRuntime((parent) => {
          const now = Context.get(parent.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
          const call: Pending = { deadline: now + limitMs, fiber, expired: false }
          pending.add(call)
          // started right here, with the caller's services (its clock): no step between deciding and starting
          if (watcher === undefined) {
            const runtime = Runtime.make({
              context: parent.currentContext,
              fiberRefs: parent.getFiberRefs(),
              // interruptible, unlike this region: it is stopped when its last call settles
              runtimeFlags: Runtime.defaultRuntimeFlags
            })
            const self: Watcher = { fiber: undefined }
            watcher = self
            self.fiber = Runtime.runFork(runtime)(watch(self))
          }
          return Effect.matchCauseEffect(restore(Fiber.await(fiber)), {
            // only the caller's own interruption gets here: the call goes with it
            onFailure: (cause) => {
              settle(call)
              return Effect.zipRight(Fiber.interrupt(fiber), Effect.failCause(cause))
            },
            onSuccess: (exit): Effect.Effect<A, E | E2> => {
              settle(call)
              if (call.expired && Exit.isInterrupted(exit)) return Effect.fail(onTimeout())
              return Effect.zipRight(Fiber.inheritAll(fiber), exit)
            }
          })
        }))
    )
}

/** The calls of one client: a watcher per distinct limit, made when first needed. */
export const byLimit = () => {
  const limits = new Map<number, ReturnType<typeof make>>()
  return (limitMs: number): ReturnType<typeof make> => {
    let within = limits.get(limitMs)
    if (within === undefined) {
      within = make(limitMs)
      limits.set(limitMs, within)
    }
    return within
  }
}
