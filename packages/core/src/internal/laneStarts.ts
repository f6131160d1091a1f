/**
 * A lane's starts. One caller at a time asks for the next start and sleeps until it is due, so a start happens
 * only after the previous one has. With nobody in line, a start that is due now is taken at once: no lock and
 * no wait to account for, which is what almost every request of a lane below its limit meets (this runs for
 * every request: plain code with the fiber's clock, no generators).
 *
 * @since 0.3.0
 */
import type { Effect as E } from "effect"
import { Clock, Context, Duration, Effect } from "effect"
import * as Admission from "../Admission.js"
import type * as LaneState from "../LaneState.js"

/**
 * The next start of a lane, from `tryStart` (one atomic step of the lane's state at `now`) and the lane's lock.
 *
 * @since 0.3.0
 * @category constructors
 */
export const acquire = (
  lock: E.Semaphore,
  tryStart: (now: number) => Effect.Effect<LaneState.Step>
): Effect.Effect<LaneState.Ticket> => {
  const nextStart: Effect.Effect<LaneState.Ticket> = Effect.clockWith((clock) =>
    Effect.flatMap(
      tryStart(clock.unsafeCurrentTimeMillis()),
      (step) =>
        step._tag === "Started"
          ? Effect.succeed(step.ticket)
          : Effect.zipRight(Effect.sleep(Duration.millis(step.ms)), nextStart)
    )
  )
  let inLine = 0
  const queued = Effect.acquireUseRelease(
    Effect.sync(() => inLine++),
    () => lock.withPermits(1)(nextStart).pipe(Admission.waiting),
    () => Effect.sync(() => inLine--)
  )
  return Effect.withFiberRuntime((fiber) => {
    if (inLine > 0) return queued
    const now = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
    return Effect.flatMap(tryStart(now), (step) => {
      if (step._tag !== "Started") return queued
      Admission.passedAt(fiber, now)
      return Effect.succeed(step.ticket)
    })
  })
}
