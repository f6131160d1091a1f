/**
 * The run's events: one per phase per item, and a summary at the end. Providers and the runner emit;
 * the edge decides where events go (the run log `runs/<run id>.log.jsonl`, `--json` on stdout, a
 * progress display, a callback, nowhere).
 *
 * What is written is one definition, `Event` (versioned by `v`): the run log, `asrflow --json`, the
 * Promise API's `onEvent` and the JSON Schema of `asrflow schema --events` all come from it.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, JSONSchema, Option, Schema } from "effect"
import { Summary } from "./Summary.js"

/**
 * The phases of an item, in the order they happen.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Phase = Schema.Literal(
  "planned",
  "probed",
  "staged",
  "submitted",
  "polled",
  "transcribed",
  "requeued",
  "written",
  "failed",
  "skipped"
)

/**
 * @since 0.1.0
 * @category models
 */
export type Phase = typeof Phase.Type

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
  // the service and the fiber's clock read in one runtime step: an item emits four to six events
  Effect.withFiberRuntime((fiber) => {
    const events = Context.getOption(fiber.currentContext, RunEvents)
    if (Option.isNone(events)) return Effect.void
    const now = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
    return events.value.emit({
      phase,
      item,
      at: new Date(now).toISOString(),
      durationMs: fields?.durationMs,
      data: fields?.data
    })
  })

// =============================================================================
// The written form
// =============================================================================

/**
 * The version of the written events. It changes only when a field changes meaning or goes away; new
 * phases and new `data` fields are added within a version (consumers ignore what they do not know).
 *
 * @since 0.2.0
 * @category constants
 */
export const version = 1 as const

// every data object may carry more fields than the ones documented
const more = Schema.Record({ key: Schema.String, value: Schema.Unknown })
const Seconds = Schema.Number.annotations({ description: "Seconds of audio." })

const data = {
  planned: Schema.Struct({
    output_key: Schema.String.annotations({ description: "The item's path under each sink's folder, no extension." }),
    origin: Schema.optional(Schema.String.annotations({ description: "The source that listed it." }))
  }, more),
  probed: Schema.Struct({
    audio_seconds: Schema.optional(Seconds),
    bytes: Schema.optional(Schema.Number),
    container: Schema.optional(Schema.String)
  }, more),
  staged: Schema.Struct({
    file_url: Schema.optional(Schema.String.annotations({ description: "Where the provider fetches it (redacted)." })),
    bytes: Schema.optional(Schema.Number)
  }, more),
  submitted: Schema.Struct({
    task_id: Schema.String.annotations({ description: "The provider's id of the remote task." }),
    model: Schema.optional(Schema.String),
    reattached: Schema.optional(Schema.Boolean.annotations({ description: "A task an earlier run submitted." })),
    recovered: Schema.optional(Schema.Boolean.annotations({ description: "Found again after a lost submit." }))
  }, more),
  polled: Schema.Struct({
    task_id: Schema.String,
    status: Schema.String.annotations({ description: "The task's new status (PENDING, RUNNING, …)." })
  }, more),
  transcribed: Schema.Struct({
    model: Schema.String,
    usage_seconds: Schema.optional(Schema.Number.annotations({ description: "Seconds the provider billed." })),
    request_id: Schema.optional(Schema.String)
  }, more),
  requeued: Schema.Struct({
    round: Schema.optional(Schema.Number.annotations({ description: "The round the item goes back for." })),
    of: Schema.optional(Schema.Number.annotations({ description: "How many rounds an item may have." })),
    after_ms: Schema.optional(Schema.Number.annotations({ description: "The wait before that round." })),
    reason: Schema.optional(Schema.String)
  }, more),
  written: Schema.Struct({
    outputs: Schema.Array(Schema.String).annotations({ description: "The files written for the item." }),
    audio_seconds: Schema.optional(Seconds)
  }, more),
  failed: Schema.Struct({
    phase: Schema.String.annotations({ description: "Where it failed: source, probe, transcribe or sink." }),
    message: Schema.String,
    reason: Schema.optional(Schema.String)
  }, more),
  skipped: Schema.Struct({ reason: Schema.String }, more)
} as const

const descriptions: Record<Phase, string> = {
  planned: "The item was listed by a source and is about to be probed.",
  probed: "Its container, size and duration are known.",
  staged: "An async provider put the audio where the service can fetch it.",
  submitted: "An async task was created (or an earlier one re-attached).",
  polled: "The task's status changed.",
  transcribed: "The provider returned its transcript.",
  requeued: "A transient failure outlived the retries; the item goes back for another round.",
  written: "Every sink wrote it: the item is done.",
  failed: "The item failed; the run goes on.",
  skipped: "The ledger has it done already."
}

const itemEvent = <P extends Phase>(phase: P) =>
  Schema.Struct({
    v: Schema.Literal(version),
    at: Schema.String.annotations({ description: "ISO 8601 time of the event." }),
    run_id: Schema.String,
    item: Schema.String.annotations({ description: "The item's id: its path or URL." }),
    phase: Schema.Literal(phase),
    duration_ms: Schema.optional(Schema.Number.annotations({ description: "How long the phase took." })),
    data: Schema.optional(data[phase] as (typeof data)[P])
  }).annotations({ title: phase, description: descriptions[phase] })

/**
 * One event of one item, as written.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ItemEvent = Schema.Union(...Phase.literals.map(itemEvent)) as Schema.Union<
  ReadonlyArray<ReturnType<typeof itemEvent>>
>

/**
 * @since 0.2.0
 * @category models
 */
export type ItemEvent = typeof ItemEvent.Type

/**
 * The last event of a run: its summary (the same object as `runs/<run id>.summary.json`) and exit code.
 *
 * @since 0.2.0
 * @category schemas
 */
export const SummaryEvent = Schema.Struct({
  v: Schema.Literal(version),
  at: Schema.String,
  run_id: Schema.String,
  phase: Schema.Literal("summary"),
  exit_code: Schema.Number.annotations({ description: "The exit code the run ends with." }),
  summary: Schema.encodedSchema(Summary)
}).annotations({ title: "summary", description: "The run's counts, cost and outcome; always the last event." })

/**
 * @since 0.2.0
 * @category models
 */
export type SummaryEvent = typeof SummaryEvent.Type

/**
 * Every written event: one line of the run log, of `--json`, one call of `onEvent`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Event = Schema.Union(...ItemEvent.members, SummaryEvent).annotations({
  identifier: "AsrflowEvent",
  title: `asrflow run event, version ${version}`,
  description: "One line of the run log and of `asrflow --json` (NDJSON): an item's phase, or the run's summary."
})

/**
 * @since 0.2.0
 * @category models
 */
export type Event = typeof Event.Type

/**
 * The written form of an event (snake_case, absent fields left out). Not redacted: the caller redacts.
 *
 * @since 0.2.0
 * @category constructors
 */
export const toItemEvent = (runId: string, event: RunEvent): ItemEvent =>
  ({
    v: version,
    at: event.at,
    run_id: runId,
    item: event.item,
    phase: event.phase,
    ...(event.durationMs === undefined ? {} : { duration_ms: event.durationMs }),
    ...(event.data === undefined ? {} : { data: event.data })
  }) as ItemEvent

/**
 * The written form of the summary event.
 *
 * @since 0.2.0
 * @category constructors
 */
export const toSummaryEvent = (summary: Summary, exitCode: number, at: string): SummaryEvent => ({
  v: version,
  at,
  run_id: summary.run_id,
  phase: "summary",
  exit_code: exitCode,
  summary: Schema.encodeSync(Summary)(summary)
})

/**
 * The JSON Schema of the written events (`asrflow schema --events`).
 *
 * @since 0.2.0
 * @category utils
 */
export const jsonSchema = (): JSONSchema.JsonSchema7Root => anyValueWithoutId(JSONSchema.make(Event))

// Effect writes "any value" as `{"$id": "/schemas/unknown", …}` wherever it occurs; the same `$id` in
// several places makes validators (Ajv) reject the whole schema as ambiguous, so it goes
const anyValueWithoutId = <A>(schema: A): A => {
  if (Array.isArray(schema)) return schema.map(anyValueWithoutId) as A
  if (typeof schema !== "object" || schema === null) return schema
  return Object.fromEntries(
    Object.entries(schema).flatMap(([key, value]) =>
      key === "$id" && typeof value === "string" && value.startsWith("/schemas/")
        ? []
        : [[key, anyValueWithoutId(value)]]
    )
  ) as A
}
