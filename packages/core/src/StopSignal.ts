/**
 * A request to stop a run gracefully (the CLI's first SIGINT or SIGTERM). The runner then starts no new
 * item, lets requests in flight finish for a few seconds, leaves async tasks recorded in the ledger for
 * the next run to pick up, and returns its summary with `stopped` set.
 *
 * @since 0.2.0
 */
import { Context, Deferred, Effect, Exit, FiberId, Layer, Option } from "effect"
import type { StopSignal as Signal } from "./Summary.js"

/**
 * @since 0.2.0
 * @category models
 */
export type Name = typeof Signal.Type

/**
 * How long requests in flight may take to finish after a stop, by default.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultGraceMs = 5000

/**
 * @since 0.2.0
 * @category context
 */
export class StopSignal extends Context.Tag("@asrflow/core/StopSignal")<StopSignal, {
  /** Completes with the signal's name once a stop is requested. */
  readonly requested: Effect.Effect<Name>
  /** The signal, when a stop was requested. */
  readonly poll: Effect.Effect<Option.Option<Name>>
  /** How long an item that is sending a request may take to finish after the stop. */
  readonly graceMs: number
  /** Requests a stop from outside any fiber (a signal handler); later requests change nothing. */
  readonly unsafeRequest: (signal: Name) => void
  /** Runs an effect that stops gracefully: meanwhile, the edge requests a stop instead of interrupting. */
  readonly listening: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Whether an effect is `listening` now. */
  readonly unsafeIsListening: () => boolean
}>() {}

/**
 * A stop switch, not yet requested.
 *
 * @since 0.2.0
 * @category constructors
 */
export const unsafeMake = (graceMs: number = defaultGraceMs): StopSignal["Type"] => {
  const deferred = Deferred.unsafeMake<Name>(FiberId.none)
  let listeners = 0
  return {
    requested: Deferred.await(deferred),
    poll: Effect.flatMap(
      Deferred.poll(deferred),
      Option.match({ onNone: () => Effect.succeedNone, onSome: Effect.asSome })
    ),
    graceMs,
    unsafeRequest: (signal) => {
      Deferred.unsafeDone(deferred, Exit.succeed(signal))
    },
    listening: (effect) =>
      Effect.acquireUseRelease(
        Effect.sync(() => (listeners += 1)),
        () => effect,
        () => Effect.sync(() => (listeners -= 1))
      ),
    unsafeIsListening: () => listeners > 0
  }
}

/**
 * @since 0.2.0
 * @category layers
 */
export const layer = (stop: StopSignal["Type"]): Layer.Layer<StopSignal> => Layer.succeed(StopSignal, stop)
