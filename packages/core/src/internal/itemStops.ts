/**
 * How a requested stop lets a run's items go: an item that waits on its own (a remote task, a retry round)
 * at once, any other once it waits too or after the stop's grace period. One watcher for the whole run
 * interrupts the items still running when the stop comes; a race per item (two more fibers and an
 * interruption for every item, stop or no stop) cost several times what the item's own bookkeeping does.
 *
 * @internal
 */
import { Cause, Deferred, Duration, Effect, Exit, Fiber, FiberId, Option } from "effect"
import type { StopSignal } from "../StopSignal.js"

export interface ItemStops {
  /** The item now waits on its own: a stop lets it go at once. */
  readonly idle: (item: string) => void
  /** The item works again (a new round started). */
  readonly busy: (item: string) => void
  /**
   * Runs an item's work unless a stop came first; when a stop lets it go, `onLetGo` runs (the work is
   * interrupted). Must run in the item's own fiber: that is the fiber a stop interrupts.
   */
  readonly guard: <E>(
    item: string,
    work: Effect.Effect<void, E>,
    onLetGo: Effect.Effect<void>
  ) => Effect.Effect<void, E>
  /** Ends the watcher once the run's items are done. */
  readonly close: Effect.Effect<void>
}

/** Starts the run's watcher (a child of the calling fiber: it ends with it, or with `close`). */
export const make = (stop: StopSignal["Type"]): Effect.Effect<ItemStops> =>
  Effect.gen(function*() {
    const idle = new Set<string>()
    const nowIdle = new Map<string, Deferred.Deferred<void>>()
    // the fibers of the items started, and the items a stop let go
    const running = new Map<string, Fiber.RuntimeFiber<unknown, unknown>>()
    const letGo = new Set<string>()
    const whenIdle = (item: string) =>
      Effect.suspend(() => {
        if (idle.has(item)) return Effect.void
        const signal = Deferred.unsafeMake<void>(FiberId.none)
        nowIdle.set(item, signal)
        return Effect.raceFirst(Deferred.await(signal), Effect.sleep(Duration.millis(stop.graceMs)))
      })
    const watcher = yield* Effect.fork(Effect.zipRight(
      stop.requested,
      // the items running once the stop came
      Effect.suspend(() =>
        Effect.forEach(
          [...running],
          ([item, fiber]) =>
            whenIdle(item).pipe(
              Effect.zipRight(Effect.sync(() => letGo.add(item))),
              Effect.zipRight(Fiber.interrupt(fiber))
            ),
          { concurrency: "unbounded", discard: true }
        )
      )
    ))
    return {
      close: Fiber.interrupt(watcher),
      idle: (item) => {
        idle.add(item)
        const signal = nowIdle.get(item)
        if (signal !== undefined) Deferred.unsafeDone(signal, Effect.void)
      },
      busy: (item) => {
        idle.delete(item)
      },
      guard: <E>(item: string, work: Effect.Effect<void, E>, onLetGo: Effect.Effect<void>) =>
        Effect.withFiberRuntime<void, E>((fiber) => {
          // known before the stop is asked about: an item that finds no stop is in the watcher's list
          running.set(item, fiber)
          return Effect.flatMap(
            stop.poll,
            // sources list in chunks: an entry already listed when the stop came is not started
            (requested) => Option.isSome(requested) ? Effect.void : work
          ).pipe(
            // one finalizer for both (an item runs through this once)
            Effect.onExit((exit) => {
              const forgotten = Effect.sync(() => {
                running.delete(item)
                idle.delete(item)
                nowIdle.delete(item)
              })
              return Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) && letGo.has(item)
                ? Effect.zipRight(onLetGo, forgotten)
                : forgotten
            })
          )
        })
    }
  })
