/**
 * A fan-out for a stream whose elements each take a slot: one fiber per admitted element in a `FiberSet`.
 * `Stream.mapEffect` with unbounded concurrency does the same through a queue and a deferred per element,
 * which costs about ten times as much CPU per element (bench/README.md, "Per-item CPU").
 *
 * @internal
 */
import { Cause, Deferred, Effect, Exit, FiberSet, Option, Stream } from "effect"

/**
 * Takes the stream's elements one after another, waits for `admit` before each, and runs `work` for it in a
 * fiber of its own, then `release` for its slot; returns once the stream has ended and every element's work
 * has finished. The first failure (or defect) of any element's work ends the stream (no element starts after
 * it) and interrupts the work still running; the whole fails with it.
 */
export const forEachAdmitted = <A, S, E, R, E2, R2>(options: {
  readonly stream: Stream.Stream<A, E, R>
  readonly admit: Effect.Effect<S>
  readonly release: (slot: S) => Effect.Effect<void>
  readonly work: (element: A, slot: S) => Effect.Effect<void, E2, R2>
}): Effect.Effect<void, E | E2, R | R2> =>
  Effect.scoped(Effect.gen(function*() {
    const running = yield* FiberSet.make<void, never>()
    const failed = yield* Deferred.make<never, E2>()
    const start = (element: A, slot: S) =>
      Effect.flatMap(Deferred.isDone(failed), (stopped) =>
        stopped ? options.release(slot) : FiberSet.run(
          running,
          options.work(element, slot).pipe(
            // failed (or died) before the slot goes back: an element admitted with that slot does not start
            Effect.onExit((exit) =>
              Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)
                ? Effect.zipRight(Deferred.failCause(failed, exit.cause), options.release(slot))
                : options.release(slot)
            ),
            // the outcome goes on through `failed`
            Effect.exit,
            Effect.asVoid
          )
        ).pipe(
          // the element runs up to its first wait before the next is admitted: admission counts the waiting
          Effect.zipRight(Effect.yieldNow())
        ))
    const listing = options.stream.pipe(
      Stream.runForEach((element) => Effect.flatMap(options.admit, (slot) => start(element, slot))),
      Effect.zipRight(FiberSet.awaitEmpty(running)),
      // work that failed last failed before the set was empty
      Effect.zipRight(Effect.flatMap(Deferred.poll(failed), Option.getOrElse(() => Effect.void)))
    )
    // closing the set's scope interrupts the work still running
    return yield* Effect.raceFirst(listing, Deferred.await(failed))
  }))
