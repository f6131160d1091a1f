/**
 * Which items the runner works on at once. `concurrency` is a cap, not a target: requests are paced per
 * lane (`RateController`), so the requests in flight settle at rate × latency by themselves (Little's law:
 * L = λ × W). What the runner must size is the line in front of the pacers:
 *
 * - once a lane paces this run, a new item is admitted only while fewer items wait for a start than the
 *   preparing stage needs (2, plus start rate × the observed time from admission to the first pacer, again
 *   Little's law), so a fast model does not pile up fibers holding audio, and a slow one, whose requests
 *   stay in flight longer, gets as many items as its rate × latency needs, up to the cap;
 * - an item waiting on a server (an async task) gives its slot back (`detach`): it counts while it is
 *   staged and submitted, not while the task runs;
 * - items that never meet a pacer (a provider without lanes) are bounded by the cap alone, as before.
 *
 * `RateController` reports a fiber's waits at a pacer through `waiting`; the slot of the current item is
 * carried by a `FiberRef`, so providers need no parameter for it.
 *
 * @since 0.2.0
 */
import type { Fiber } from "effect"
import { Clock, Context, Deferred, Effect, Exit, FiberRef } from "effect"

const weight = 0.2

class Line {
  held = 0
  waiting = 0
  pacing = false
  prepMs = 0
  startIntervalMs = Number.POSITIVE_INFINITY
  lastGrantAt: number | undefined = undefined
  peak = 0
  readonly queue: Array<{ readonly slot: Slot; readonly admitted: Deferred.Deferred<void> }> = []
  constructor(readonly cap: number) {}

  private get waitTarget(): number {
    return 2 + (this.startIntervalMs > 0 && Number.isFinite(this.startIntervalMs)
      ? Math.ceil(this.prepMs / this.startIntervalMs)
      : 0)
  }

  get canAdmit(): boolean {
    return this.held < this.cap && (!this.pacing || this.waiting < this.waitTarget)
  }

  wake(): void {
    while (this.queue.length > 0 && this.canAdmit) {
      const next = this.queue.shift()!
      next.slot.take()
      Deferred.unsafeDone(next.admitted, Exit.void)
    }
  }

  granted(now: number): void {
    if (this.lastGrantAt !== undefined) {
      const interval = now - this.lastGrantAt
      this.startIntervalMs = Number.isFinite(this.startIntervalMs)
        ? this.startIntervalMs + weight * (interval - this.startIntervalMs)
        : interval
    }
    this.lastGrantAt = now
  }
}

/**
 * One item's place in the gate.
 *
 * @since 0.2.0
 * @category models
 */
export class Slot {
  private held = false
  private waiting = false
  private reachedPacer = false
  private admittedAt = 0
  constructor(private readonly line: Line) {}

  /** @internal */
  admitted(now: number): this {
    this.admittedAt = now
    return this
  }

  /** @internal */
  take(): void {
    this.held = true
    this.waiting = true
    this.line.held += 1
    this.line.waiting += 1
    this.line.peak = Math.max(this.line.peak, this.line.held)
  }

  /** @internal */
  release(): void {
    if (!this.held) return
    this.held = false
    this.line.held -= 1
    this.stopWaiting()
  }

  /** @internal */
  enterPacer(now: number): void {
    if (!this.held) return
    this.line.pacing = true
    if (!this.reachedPacer) {
      this.reachedPacer = true
      this.line.prepMs += weight * (now - this.admittedAt - this.line.prepMs)
    }
    if (!this.waiting) {
      this.waiting = true
      this.line.waiting += 1
    }
  }

  /** @internal */
  leavePacer(now: number, granted: boolean): void {
    if (!this.held) return
    if (granted) this.line.granted(now)
    this.stopWaiting()
  }

  private stopWaiting(): void {
    if (this.waiting) {
      this.waiting = false
      this.line.waiting -= 1
    }
    this.line.wake()
  }
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Gate {
  /** Waits for a slot (first come, first served). */
  readonly admit: Effect.Effect<Slot>
  /** Gives a slot back (idempotent). */
  readonly release: (slot: Slot) => Effect.Effect<void>
  /** The most slots held at once so far. */
  readonly peak: Effect.Effect<number>
}

/**
 * A gate of `cap` slots.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: { readonly cap: number }): Effect.Effect<Gate> =>
  Effect.sync(() => {
    const line = new Line(Math.max(1, options.cap))
    const admit = Effect.suspend(() => {
      const slot = new Slot(line)
      const admittedNow = Effect.map(Clock.currentTimeMillis, (now) => slot.admitted(now))
      if (line.queue.length === 0 && line.canAdmit) {
        slot.take()
        return admittedNow
      }
      return Effect.flatMap(Deferred.make<void>(), (admitted) => {
        line.queue.push({ slot, admitted })
        return Deferred.await(admitted).pipe(
          Effect.zipRight(admittedNow),
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              const index = line.queue.findIndex((entry) => entry.slot === slot)
              if (index >= 0) line.queue.splice(index, 1)
              slot.release()
            })
          )
        )
      })
    })
    return {
      admit,
      release: (slot) => Effect.sync(() => slot.release()),
      peak: Effect.sync(() => line.peak)
    }
  })

// =============================================================================
// The current item's slot
// =============================================================================

const currentSlot = FiberRef.unsafeMake<Slot | undefined>(undefined)

/**
 * Runs `self` as the work of the item holding `slot`.
 *
 * @since 0.2.0
 * @category combinators
 */
export const within = (slot: Slot) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locally(self, currentSlot, slot)

/**
 * The current item now waits on a server (an async task runs): its slot goes to another item.
 *
 * @since 0.2.0
 * @category combinators
 */
export const detach: Effect.Effect<void> = Effect.flatMap(
  FiberRef.get(currentSlot),
  (slot) => slot === undefined ? Effect.void : Effect.sync(() => slot.release())
)

/**
 * The current item passed a pacer without waiting (`waiting` around a wait of none), in the runtime step
 * of the fiber that started.
 *
 * @since 0.3.0
 * @category utils
 */
export const passedAt = (fiber: Fiber.RuntimeFiber<unknown, unknown>, now: number): void => {
  const slot = fiber.getFiberRef(currentSlot)
  if (slot === undefined) return
  slot.enterPacer(now)
  slot.leavePacer(now, true)
}

/**
 * Marks the current item as waiting for a start while `self` (a pacer's wait) runs.
 *
 * @since 0.2.0
 * @category combinators
 */
export const waiting = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  // the slot and the clock read in one runtime step: every request waits at a pacer
  Effect.withFiberRuntime((fiber) => {
    const slot = fiber.getFiberRef(currentSlot)
    if (slot === undefined) return self
    const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
    slot.enterPacer(clock.unsafeCurrentTimeMillis())
    return Effect.onExit(
      self,
      (exit) => Effect.sync(() => slot.leavePacer(clock.unsafeCurrentTimeMillis(), Exit.isSuccess(exit)))
    )
  })
