/**
 * Groups concurrent requests into batches. The runner transcribes items one by one, each in its own fiber; a
 * provider whose API takes many files per request puts each item's request here and waits for its own answer,
 * and the batcher calls `run` once per batch: when `maxSize` requests with the same key are waiting, or when
 * `lingerMs` passed without a new one joining (on the `Clock`, so tests drive it with the `TestClock`).
 *
 * A batch runs in the batcher's scope, not in the fiber of the request that completed it, so one caller being
 * interrupted does not take the others' batch with it. `run` answers each request in the batch in order.
 *
 * @since 0.2.0
 */
import { Deferred, Duration, Effect, Exit, Fiber, SynchronizedRef } from "effect"
import type { Scope } from "effect"

/**
 * @since 0.2.0
 * @category models
 */
export interface Batcher<A, B, E> {
  /** Adds a request to the batch of `key` and waits for its answer. */
  readonly submit: (key: string, request: A) => Effect.Effect<B, E>
}

interface Waiting<A, B, E> {
  readonly request: A
  readonly answer: Deferred.Deferred<B, E>
}

interface Pending<A, B, E> {
  readonly waiting: ReadonlyArray<Waiting<A, B, E>>
  readonly timer: Fiber.RuntimeFiber<void> | undefined
}

/**
 * A batcher over `run`, which gets the requests of one batch and returns one exit per request, in order.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = <A, B, E>(options: {
  readonly maxSize: number
  readonly lingerMs: number
  readonly run: (key: string, requests: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<Exit.Exit<B, E>>>
}): Effect.Effect<Batcher<A, B, E>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const pending = yield* SynchronizedRef.make(new Map<string, Pending<A, B, E>>())

    const runBatch = (key: string, waiting: ReadonlyArray<Waiting<A, B, E>>) =>
      options.run(key, waiting.map((entry) => entry.request)).pipe(
        Effect.exit,
        Effect.flatMap((outcome) =>
          Effect.forEach(waiting, (entry, index) =>
            Deferred.done(
              entry.answer,
              Exit.isSuccess(outcome)
                ? outcome.value[index] ?? Exit.die(new Error(`the batch gave no answer for request ${index}`))
                : Exit.failCause(outcome.cause)
            ), { discard: true })
        ),
        Effect.forkIn(scope)
      )

    /** Takes the batch of `key` out (if `timer` is given, only when it is still that batch's timer) and runs it. */
    const flush = (key: string, timer?: Fiber.RuntimeFiber<void>) =>
      SynchronizedRef.modifyEffect(pending, (all) => {
        const batch = all.get(key)
        if (batch === undefined || (timer !== undefined && batch.timer !== timer)) {
          return Effect.succeed([undefined, all] as const)
        }
        const rest = new Map(all)
        rest.delete(key)
        return Effect.succeed([batch, rest] as const)
      }).pipe(
        Effect.flatMap((batch) => {
          if (batch === undefined) return Effect.void
          // a timer flushing its own batch must not interrupt itself
          const stopTimer = batch.timer !== undefined && batch.timer !== timer
            ? Fiber.interrupt(batch.timer)
            : Effect.void
          return Effect.zipRight(stopTimer, runBatch(key, batch.waiting))
        })
      )

    const startTimer = (key: string) =>
      Effect.gen(function*() {
        const self = yield* Deferred.make<Fiber.RuntimeFiber<void>>()
        const fiber = yield* Deferred.await(self).pipe(
          Effect.flatMap((me) => Effect.zipRight(Effect.sleep(Duration.millis(options.lingerMs)), flush(key, me))),
          Effect.forkIn(scope)
        )
        yield* Deferred.succeed(self, fiber)
        return fiber
      })

    const submit = (key: string, request: A): Effect.Effect<B, E> =>
      Effect.gen(function*() {
        const answer = yield* Deferred.make<B, E>()
        const full = yield* SynchronizedRef.modifyEffect(pending, (all) =>
          Effect.gen(function*() {
            const batch = all.get(key)
            const waiting = [...(batch?.waiting ?? []), { request, answer }]
            // each arrival restarts the linger: the batch waits while requests keep coming
            if (batch?.timer !== undefined) yield* Fiber.interrupt(batch.timer)
            const timer = waiting.length >= options.maxSize ? undefined : yield* startTimer(key)
            return [waiting.length >= options.maxSize, new Map(all).set(key, { waiting, timer })] as const
          }))
        if (full) yield* flush(key)
        return yield* Deferred.await(answer)
      })

    return { submit }
  })
