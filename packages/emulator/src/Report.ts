/**
 * What the emulator saw: counts, peaks, throttling, protocol violations, uploads and key leaks.
 *
 * @since 0.1.0
 */

/**
 * The endpoints as named in the report.
 *
 * @since 0.1.0
 * @category models
 */
export type EndpointName =
  | "compatible"
  | "native"
  | "submit"
  | "task"
  | "cancel"
  | "list"
  | "policy"
  | "upload"
  | "result"
  | "transcriptions"
  | "models"
  | "unknown"

/**
 * Every rule a request can break. Each violation names exactly one.
 *
 * @since 0.1.0
 * @category models
 */
export const RULES = [
  "unknown_key",
  "paraformer_param",
  "stream_options_without_stream",
  "missing_async_header",
  "async_header_on_sync",
  "missing_oss_resolve_header",
  "oss_model_mismatch",
  "oss_expired",
  "oss_not_found",
  "mime_mismatch",
  "key_leak",
  "file_urls_on_qwen3",
  "system_message_not_first",
  "multiple_system_messages",
  "multiple_content_items",
  "invalid_message",
  "messages_outside_input",
  "sync_model_on_async_path",
  "filetrans_model_on_sync_path",
  "model_not_on_compatible_mode",
  "unknown_model",
  "invalid_audio_url",
  "data_uri_too_large",
  "audio_too_long",
  "unsupported_format",
  "invalid_parameter",
  "invalid_json",
  "upload_form",
  "file_url_on_batch",
  "qwen_param",
  "param_not_for_model",
  "too_many_files",
  "unknown_vocabulary",
  "not_multipart",
  "file_too_large"
] as const

/**
 * @since 0.1.0
 * @category models
 */
export type Rule = typeof RULES[number]

/**
 * @since 0.1.0
 * @category models
 */
export interface Violation {
  readonly rule: Rule
  readonly endpoint: EndpointName
  readonly detail: string
}

/**
 * Request starts per second of emulator time, for plotting what a client really sent.
 *
 * @since 0.1.0
 * @category models
 */
export interface StartsPerSecond {
  /** Emulator-clock ms of second 0 (the start, or the last reset). */
  readonly origin_ms: number
  /**
   * `"<endpoint> <model>"` (compatible, native, submit, policy) or `"task"` → rows `[second, starts, of which 429]`,
   * only for seconds with a start. A start is a request that reached the rate limiter.
   */
  readonly series: Record<string, ReadonlyArray<readonly [number, number, number]>>
}

/**
 * The JSON served at `GET /__emulator/report`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  /** `"<endpoint> <status>"` → number of responses. */
  readonly counts: Record<string, number>
  /** `"<endpoint>"` → number of requests received. */
  readonly requests: Record<string, number>
  readonly peak_concurrent: number
  /** Requests being answered right now. */
  readonly in_flight: number
  readonly peak_task_query_qps: number
  /** Every 429 answered, whether from a limit or an injected fault. */
  readonly throttled_429: number
  /** The 429s the emulated rate limits gave (no injected fault). */
  readonly rate_limited_429: number
  /** `throttled_429` over all API requests received (0 when none). */
  readonly share_429: number
  readonly violations: ReadonlyArray<Violation>
  /** `"<sha256 or url>"` → accepted submissions (sync requests answered 200 and async tasks created). */
  readonly submissions_per_audio: Record<string, number>
  /** Fun-ASR/Paraformer batches: every accepted submit in order with its number of files, and the files in flight. */
  readonly batches: {
    readonly submits: ReadonlyArray<{ readonly task_id: string; readonly model: string; readonly files: number }>
    /** Files of all batches whose audio is still being fetched and analysed. */
    readonly loading: number
  }
  readonly uploads: ReadonlyArray<{ readonly key: string; readonly bytes: number; readonly model: string }>
  readonly key_leaks: number
  readonly tasks: {
    readonly submitted: number
    readonly pending: number
    readonly running: number
    readonly succeeded: number
    readonly failed: number
    readonly canceled: number
    /** Tasks whose audio is still being fetched and analysed (in real time, whatever the clock). */
    readonly loading: number
  }
  /** `"<kind>"` → injected faults. */
  readonly faults: Record<string, number>
  /** Injections per entry of the config's `faults`, in order. */
  readonly faults_by_rule: ReadonlyArray<number>
  readonly dropped_connections: number
  readonly mime_mismatches: number
  /** The emulator clock, epoch ms. */
  readonly clock_ms: number
  /** Answers waiting for the emulator clock (latencies, slow faults, SSE pacing). */
  readonly clock_waiters: number
  readonly starts_per_second: StartsPerSecond
}
