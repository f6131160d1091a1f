/**
 * The run log: one event per phase per item. Providers and the runner emit; the edge decides where
 * events go (a `runs/<run id>.log.jsonl` file, a progress bar, nowhere).
 *
 * @since 0.1.0
 */
import { Context, Effect } from "effect"

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
  readonly emit: (event: RunEvent) => Effect.Effect<void>
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
      events._tag === "None" ? Effect.void : events.value.emit({
        phase,
        item,
        at: new Date().toISOString(),
        durationMs: fields?.durationMs,
        data: fields?.data
      })
    )
  )
