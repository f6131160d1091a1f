/**
 * The run log: one event per phase per item. Providers and the runner emit; the edge decides where
 * events go (a `runs/<run id>.log.jsonl` file, a progress bar, nowhere).
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect } from "effect"

/**
 * @since 0.1.0
 * @category models
 */
export type Phase =
  | "planned"
  | "probed"
  | "staged"
  | "submitted"
  | "polled"
  | "transcribed"
  | "requeued"
  | "written"
  | "failed"
  | "skipped"

/**
 * @since 0.1.0
 * @category models
 */
export interface RunEvent {
  readonly phase: Phase
  readonly item: string
  readonly at: string
  readonly durationMs?: number | undefined
  readonly data?: Record<string, unknown> | undefined
}

/**
 * @since 0.1.0
 * @category context
 */
export class RunEvents extends Context.Tag("@asrflow/core/RunEvents")<RunEvents, {
  /** Records an event. It never fails the item: a destination that cannot take it remembers the problem. */
  readonly emit: (event: RunEvent) => Effect.Effect<void>
  /** What could not be recorded so far (e.g. the run log could not be written), for the summary. */
  readonly problems?: Effect.Effect<ReadonlyArray<string>> | undefined
}>() {}

/**
 * Emits an event if a `RunEvents` service is present, and does nothing otherwise.
 *
 * @since 0.1.0
 * @category utils
 */
export const emit = (
  phase: Phase,
  item: string,
  fields?: { readonly durationMs?: number | undefined; readonly data?: Record<string, unknown> | undefined }
): Effect.Effect<void> =>
  Effect.serviceOption(RunEvents).pipe(
    Effect.flatMap((events) =>
      events._tag === "None" ? Effect.void : Effect.flatMap(Clock.currentTimeMillis, (now) =>
        events.value.emit({
          phase,
          item,
          at: new Date(now).toISOString(),
          durationMs: fields?.durationMs,
          data: fields?.data
        }))
    )
  )
