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
 * With the tracer off (a run without an exporter) none of this is made: no span, no attributes, no counter.
 * Effect would still make a no-op span for each, with its `onExit` and a context change, several times per
 * item (bench/README.md, "Per-item work outside the ledger").
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
 * `whenOn` while the tracer is on, `whenOff` otherwise: one runtime step to decide.
 *
 * @since 0.3.0
 * @category combinators
 */
export const ifTracing = <A, E, R, A2, E2, R2>(
  whenOn: () => Effect.Effect<A, E, R>,
  whenOff: Effect.Effect<A2, E2, R2>
): Effect.Effect<A | A2, E | E2, R | R2> =>
  Effect.withFiberRuntime<A | A2, E | E2, R | R2>((fiber) =>
    fiber.getFiberRef(FiberRef.currentTracerEnabled) ? whenOn() : whenOff
  )

const span = <A, E, R>(self: Effect.Effect<A, E, R>, name: string, fields: () => Record<string, unknown>) =>
  ifTracing(() => Effect.withSpan(self, name, { attributes: defined(fields()), captureStackTrace: false }), self)

/**
 * Runs `self` in the span of one phase.
 *
 * @since 0.2.0
 * @category combinators
 */
export const phase = (name: Phase, fields: Record<string, unknown> = {}) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  span(self, `asrflow.${name}`, () => ({ [attributes.phase]: name, ...fields }))

/**
 * Runs `self` in the span of one item.
 *
 * @since 0.2.0
 * @category combinators
 */
export const item = (id: string, fields: Record<string, unknown> = {}) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  span(self, "asrflow.item", () => ({ [attributes.item]: id, ...fields }))

/**
 * Runs `self` in a span of its own while the tracer is on, and as it is otherwise: a provider's span per
 * request costs a span object and its runtime steps (and a stack, by default) even when nothing exports it.
 *
 * @since 0.3.0
 * @category combinators
 */
export const traced = (name: string, fields: Record<string, unknown> = {}) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  span(self, name, () => fields)

/**
 * Annotates the current span with the attributes that have a value (the fields are computed only while the
 * tracer is on).
 *
 * @since 0.2.0
 * @category utils
 */
export const annotate = (fields: Record<string, unknown> | (() => Record<string, unknown>)): Effect.Effect<void> =>
  ifTracing(
    () => Effect.annotateCurrentSpan(defined(typeof fields === "function" ? fields() : fields)),
    Effect.void
  )

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
 * Runs `self` with a retry counter of its own, and gives the number of retries it took. The count is a span
 * attribute: while the tracer is off nothing is counted (it stays 0).
 *
 * @since 0.2.0
 * @category combinators
 */
export const withRetryCount = <A, E, R>(
  self: (retries: { readonly count: number }) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  ifTracing(() => {
    const counter = { count: 0 }
    return Effect.locally(self(counter), currentRetries, counter)
  }, Effect.suspend(() => self({ count: 0 })))
