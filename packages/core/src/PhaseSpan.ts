/**
 * The tracing spans of a run, named alike for every provider so that an operator filters on one set of
 * names: `asrflow.item` per item, and inside it one span per phase (`asrflow.probe`, `asrflow.stage`,
 * `asrflow.submit`, `asrflow.poll`, `asrflow.fetch`, `asrflow.sink.write`). Spans cost little while no
 * tracer exports them (the edge plugs OpenTelemetry in only when asked). Attribute values are whatever
 * the caller passes: the exporter runs every value through the run's `Redactor`.
 *
 * Retries are counted per item: every retry a retry schedule decides (`RetryPolicy.toSchedule`) adds one
 * to the counter of the item it runs for, and to the `asrflow.retries` attribute of the current span.
 *
 * @since 0.2.0
 */
import { Effect, FiberRef } from "effect"

/**
 * @since 0.2.0
 * @category models
 */
export type Phase = "probe" | "stage" | "submit" | "poll" | "fetch" | "sink.write"

/**
 * Attribute names, as exported.
 *
 * @since 0.2.0
 * @category constants
 */
export const attributes = {
  item: "asrflow.item",
  outputKey: "asrflow.output_key",
  phase: "asrflow.phase",
  provider: "asrflow.provider",
  model: "asrflow.model",
  route: "asrflow.route",
  audioSeconds: "asrflow.audio_seconds",
  billedSeconds: "asrflow.billed_seconds",
  outcome: "asrflow.outcome",
  retries: "asrflow.retries",
  requestId: "asrflow.request_id",
  taskId: "asrflow.task_id",
  reason: "asrflow.failure_reason"
} as const

const defined = (fields: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))

/**
 * Runs `self` in the span of one phase.
 *
 * @since 0.2.0
 * @category combinators
 */
export const phase = (name: Phase, fields: Record<string, unknown> = {}) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.withSpan(self, `asrflow.${name}`, {
    attributes: defined({ [attributes.phase]: name, ...fields }),
    captureStackTrace: false
  })

/**
 * Runs `self` in the span of one item.
 *
 * @since 0.2.0
 * @category combinators
 */
export const item = (id: string, fields: Record<string, unknown> = {}) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.withSpan(self, "asrflow.item", {
    attributes: defined({ [attributes.item]: id, ...fields }),
    captureStackTrace: false
  })

/**
 * Annotates the current span with the attributes that have a value.
 *
 * @since 0.2.0
 * @category utils
 */
export const annotate = (fields: Record<string, unknown>): Effect.Effect<void> =>
  Effect.annotateCurrentSpan(defined(fields))

/**
 * The retry counter of the item the current fiber works for (shared by the fibers it forks).
 *
 * @since 0.2.0
 * @category references
 */
export const currentRetries: FiberRef.FiberRef<{ count: number } | undefined> = FiberRef.unsafeMake<
  { count: number } | undefined
>(undefined)

/**
 * Counts one retry for the current item and on the current span.
 *
 * @since 0.2.0
 * @category utils
 */
export const countRetry: Effect.Effect<void> = Effect.flatMap(FiberRef.get(currentRetries), (counter) => {
  if (counter === undefined) return Effect.void
  counter.count += 1
  return Effect.annotateCurrentSpan(attributes.retries, counter.count)
})

/**
 * Runs `self` with a retry counter of its own, and gives the number of retries it took.
 *
 * @since 0.2.0
 * @category combinators
 */
export const withRetryCount = <A, E, R>(
  self: (retries: { readonly count: number }) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const counter = { count: 0 }
    return Effect.locally(self(counter), currentRetries, counter)
  })
