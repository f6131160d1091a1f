/**
 * The emulator's configuration (`emulator.json`): every knob is optional and has a default.
 *
 * @since 0.1.0
 */
import { ParseResult, Schema } from "effect"
import * as FaultRules from "./FaultRules.js"

// =============================================================================
// Schemas
// =============================================================================

const NonNegative = Schema.Number.pipe(Schema.nonNegative())

/**
 * One injected fault (see FaultRules).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Fault = FaultRules.Fault
const Probability = Schema.Number.pipe(Schema.between(0, 1))

const RequestsPerMinute = Schema.Record({ key: Schema.String, value: NonNegative })

/**
 * From `after_ms` of emulator time after the config carrying it was applied, these per-model limits are merged over
 * `requests_per_minute` (as a config patch would be), in the order given.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LimitChange = Schema.Struct({
  after_ms: NonNegative,
  requests_per_minute: RequestsPerMinute
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const RateLimits = Schema.Struct({
  enabled: Schema.optionalWith(Schema.Boolean, { default: () => true }).annotations({
    description: "Master switch for every rate limit (RPM buckets, task-query QPS, getPolicy QPS)."
  }),
  requests_per_minute: Schema.optionalWith(RequestsPerMinute, {
    default: () => ({ default: 100, "fun-asr": 600, "paraformer-v2": 1200, "paraformer-8k-v2": 1200 })
  }).annotations({
    description: "Requests per minute per model (sync, submit and OpenAI-compatible transcriptions). The key " +
      "`default` applies to unlisted models; the default table has the documented Fun-ASR/Paraformer limits."
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
  burst_fraction: Schema.optional(Schema.Number.pipe(Schema.greaterThan(0))).annotations({
    description: "Bucket capacity as a fraction of the per-minute limit (0.1 = a burst of 10 %). When set, it " +
      "replaces burst_seconds (burst_fraction × 60 = burst_seconds)."
  }),
  retry_after_s: Schema.optional(Schema.NullOr(NonNegative)).annotations({
    description: "When set (not null), 429 responses carry `Retry-After: <n>` (the real service documents none)."
  }),
  retry_after_share: Schema.optionalWith(Probability, { default: () => 1 }).annotations({
    description: "The share of 429s that carry Retry-After when retry_after_s is set: 0.5 = every second one " +
      "(counted, not random)."
  }),
  schedule: Schema.optionalWith(Schema.Array(LimitChange), { default: () => [] }).annotations({
    description: "Limits that change over emulator time, as when another program starts sharing the key."
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
export const FailTaskRule = Schema.Union(
  Schema.String,
  Schema.Struct({
    pattern: Schema.String,
    code: Schema.optional(Schema.String),
    message: Schema.optional(Schema.String)
  })
)

/**
 * A hotword vocabulary, as the customization API creates it: bound to one model.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Vocabulary = Schema.Struct({ target_model: Schema.String })

/**
 * The OpenAI-compatible transcription route.
 *
 * @since 0.2.0
 * @category schemas
 */
export const OpenAi = Schema.Struct({
  max_file_bytes: Schema.optionalWith(NonNegative, { default: () => 25 * 1024 * 1024 }).annotations({
    description: "The largest request body /v1/audio/transcriptions takes (OpenAI: 25 MB); larger ones get 413."
  }),
  models: Schema.optionalWith(Schema.Array(Schema.String), {
    default:
      () => ["whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "whisper-large-v3", "whisper-large-v3-turbo"]
  }).annotations({ description: "The models the route serves; others get 404 model_not_found." })
})

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
  clock: Schema.optionalWith(Schema.Literal("real", "manual"), { default: () => "real" as const }).annotations({
    description: "`real`: the emulator clock follows the wall clock (plus every advance). `manual`: it stands still " +
      "until advance moves it, so latencies, task timing, refill and expiry happen exactly when a test says."
  }),
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
  max_batch_files: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { default: () => 100 }).annotations({
    description: "The most input.file_urls one Fun-ASR/Paraformer submit takes."
  }),
  vocabularies: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Vocabulary }), { default: () => ({}) })
    .annotations({
      description: "Hotword vocabularies by id. Empty: any well-formed vocabulary_id (vocab-…) is accepted; " +
        "otherwise an id must be listed and used with its target model."
    }),
  openai: Schema.optionalWith(OpenAi, { default: () => Schema.decodeSync(OpenAi)({}) }),
  transcripts: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), {
    default: () => ({})
  }),
  synthetic_transcripts: Schema.optionalWith(Schema.Literal("hash", "audio"), { default: () => "hash" as const })
    .annotations({
      description: "Where text comes from for audio without a configured transcript. `hash`: words drawn from the " +
        "audio's sha256, spread over its duration. `audio`: one sentence per voiced stretch between pauses, drawn " +
        "from its pitch and placed at its times, so a chunk of a recording gives the matching part of the " +
        "recording's transcript (PCM WAV directly, other containers through ffmpeg)."
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
