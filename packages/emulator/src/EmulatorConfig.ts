/**
 * The emulator's configuration (`emulator.json`): every knob is optional and has a default.
 *
 * @since 0.1.0
 */
import { ParseResult, Schema } from "effect"

// =============================================================================
// Schemas
// =============================================================================

const NonNegative = Schema.Number.pipe(Schema.nonNegative())
const Probability = Schema.Number.pipe(Schema.between(0, 1))

/**
 * @since 0.1.0
 * @category schemas
 */
export const RateLimits = Schema.Struct({
  enabled: Schema.optionalWith(Schema.Boolean, { default: () => true }).annotations({
    description: "Master switch for every rate limit (RPM buckets, task-query QPS, getPolicy QPS)."
  }),
  requests_per_minute: Schema.optionalWith(Schema.Record({ key: Schema.String, value: NonNegative }), {
    default: () => ({ default: 100 })
  }).annotations({
    description: "Requests per minute per model (sync and submit). The key `default` applies to unlisted models."
  }),
  burst_seconds: Schema.optionalWith(Schema.Number.pipe(Schema.greaterThan(0)), { default: () => 60 }).annotations({
    description:
      "Bucket capacity in seconds of refill: capacity = rpm * burst_seconds / 60. 60 = a full minute of burst."
  }),
  task_query_qps: Schema.optionalWith(NonNegative, { default: () => 20 }).annotations({
    description: "Task queries (GET/POST /tasks/{id}) allowed in any sliding 1 s window."
  }),
  get_policy_qps: Schema.optionalWith(NonNegative, { default: () => 100 }).annotations({
    description: "getPolicy requests allowed per model in any sliding 1 s window."
  }),
  retry_after_s: Schema.optional(Schema.NullOr(NonNegative)).annotations({
    description: "When set (not null), 429 responses carry `Retry-After: <n>` (the real service documents none)."
  })
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const Latency = Schema.Struct({
  sync: Schema.optionalWith(NonNegative, { default: () => 0 }),
  sync_per_audio_second: Schema.optionalWith(NonNegative, { default: () => 0 }),
  submit: Schema.optionalWith(NonNegative, { default: () => 0 }),
  task: Schema.optionalWith(NonNegative, { default: () => 0 }),
  policy: Schema.optionalWith(NonNegative, { default: () => 0 }),
  upload: Schema.optionalWith(NonNegative, { default: () => 0 }),
  result: Schema.optionalWith(NonNegative, { default: () => 0 }),
  stream_chunk: Schema.optionalWith(NonNegative, { default: () => 0 }).annotations({
    description: "Pause between SSE events (compatible and native streaming)."
  })
}).annotations({ description: "Extra milliseconds added before answering, per endpoint." })

/**
 * @since 0.1.0
 * @category schemas
 */
export const TaskTiming = Schema.Struct({
  pending_ms: Schema.optionalWith(NonNegative, { default: () => 100 }),
  running_ms: Schema.optionalWith(NonNegative, { default: () => 200 }),
  running_ms_per_audio_second: Schema.optionalWith(NonNegative, { default: () => 0 })
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const Endpoint = Schema.Literal(
  "sync",
  "native",
  "compatible",
  "submit",
  "task",
  "upload",
  "policy",
  "result",
  "*"
)

/**
 * @since 0.1.0
 * @category schemas
 */
export const FaultKind = Schema.Literal("internal_error", "model_unavailable", "reset", "slow", "throttle")

/**
 * @since 0.1.0
 * @category schemas
 */
export const Fault = Schema.Struct({
  endpoint: Schema.optionalWith(Endpoint, { default: () => "*" as const }),
  kind: FaultKind,
  every: Schema.optional(Schema.Int.pipe(Schema.positive())).annotations({
    description: "Fire on every N-th request to the endpoint (counted per fault)."
  }),
  probability: Schema.optional(Probability).annotations({ description: "Fire with this probability (seeded PRNG)." }),
  slow_ms: Schema.optionalWith(NonNegative, { default: () => 120_000 }).annotations({
    description: "How long a `slow` fault holds the response."
  }),
  limit: Schema.optional(Schema.Int.pipe(Schema.positive())).annotations({
    description: "Stop firing after this many injections."
  })
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const FailTaskRule = Schema.Union(
  Schema.String,
  Schema.Struct({
    pattern: Schema.String,
    code: Schema.optional(Schema.String),
    message: Schema.optional(Schema.String)
  })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export const DropWindow = Schema.Struct({
  start_ms: Schema.optionalWith(NonNegative, { default: () => 0 }),
  duration_ms: NonNegative
})

/**
 * The decoded `emulator.json`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const EmulatorConfig = Schema.Struct({
  api_key: Schema.optionalWith(Schema.String.pipe(Schema.minLength(1)), { default: () => "sk-emulator" }),
  seed: Schema.optionalWith(Schema.Int, { default: () => 1 }),
  rate_limits: Schema.optionalWith(RateLimits, { default: () => Schema.decodeSync(RateLimits)({}) }),
  latency_ms: Schema.optionalWith(Latency, { default: () => Schema.decodeSync(Latency)({}) }),
  tasks: Schema.optionalWith(TaskTiming, { default: () => Schema.decodeSync(TaskTiming)({}) }),
  result_ttl_s: Schema.optionalWith(NonNegative, { default: () => 86_400 }),
  oss_ttl_s: Schema.optionalWith(NonNegative, { default: () => 172_800 }),
  policy_expire_in_seconds: Schema.optionalWith(NonNegative, { default: () => 300 }),
  max_sync_duration_s: Schema.optionalWith(NonNegative, { default: () => 300 }),
  max_data_uri_bytes: Schema.optionalWith(NonNegative, { default: () => 10 * 1024 * 1024 }),
  max_upload_bytes: Schema.optionalWith(NonNegative, { default: () => 1024 * 1024 * 1024 }).annotations({
    description: "Size limit of one temporary upload (the policy's content-length-range)."
  }),
  transcripts: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), {
    default: () => ({})
  }),
  faults: Schema.optionalWith(Schema.Array(Fault), { default: () => [] }),
  fail_tasks_matching: Schema.optionalWith(Schema.Array(FailTaskRule), { default: () => [] }),
  drop_window: Schema.optional(Schema.NullOr(DropWindow)),
  storage_dir: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type EmulatorConfig = typeof EmulatorConfig.Type

/**
 * The JSON form, as written in `emulator.json` (every key optional).
 *
 * @since 0.1.0
 * @category models
 */
export type Input = typeof EmulatorConfig.Encoded

/**
 * @since 0.1.0
 * @category models
 */
export type FaultConfig = typeof Fault.Type

// =============================================================================
// Decoding
// =============================================================================

/**
 * Decodes a raw config object, reporting every problem; unknown keys are errors.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decode = (raw: unknown): Either<EmulatorConfig> => {
  const result = Schema.decodeUnknownEither(EmulatorConfig, { errors: "all", onExcessProperty: "error" })(raw)
  return result._tag === "Right"
    ? { ok: true, value: result.right }
    : { ok: false, error: ParseResult.TreeFormatter.formatErrorSync(result.left) }
}

/**
 * @since 0.1.0
 * @category models
 */
export type Either<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: string }

/**
 * Deep-merges a patch into a raw config; arrays and scalars are replaced, objects merged.
 *
 * @since 0.1.0
 * @category utils
 */
export const merge = (base: Input, patch: Input): Input => mergeDeep(base, patch) as Input

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const mergeDeep = (base: unknown, patch: unknown): unknown => {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(patch)) {
    out[key] = value === undefined ? out[key] : mergeDeep(out[key], value)
  }
  return out
}
