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
  "upload_form"
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
  readonly peak_task_query_qps: number
  readonly throttled_429: number
  readonly violations: ReadonlyArray<Violation>
  /** `"<sha256 or url>"` → accepted submissions (sync requests answered 200 and async tasks created). */
  readonly submissions_per_audio: Record<string, number>
  readonly uploads: ReadonlyArray<{ readonly key: string; readonly bytes: number; readonly model: string }>
  readonly key_leaks: number
  readonly tasks: {
    readonly submitted: number
    readonly pending: number
    readonly running: number
    readonly succeeded: number
    readonly failed: number
    readonly canceled: number
  }
  /** `"<kind>"` → injected faults. */
  readonly faults: Record<string, number>
  readonly dropped_connections: number
  readonly mime_mismatches: number
}

const bump = (record: Record<string, number>, key: string, by = 1): void => {
  record[key] = (record[key] ?? 0) + by
}

/**
 * Mutable accumulator behind the report.
 *
 * @since 0.1.0
 * @category constructors
 */
export class Recorder {
  counts: Record<string, number> = {}
  requests: Record<string, number> = {}
  concurrent = 0
  peakConcurrent = 0
  peakTaskQueryQps = 0
  throttled = 0
  violations: Array<Violation> = []
  submissions: Record<string, number> = {}
  uploads: Array<{ key: string; bytes: number; model: string }> = []
  keyLeaks = 0
  faults: Record<string, number> = {}
  dropped = 0
  mimeMismatches = 0

  reset(): void {
    this.counts = {}
    this.requests = {}
    this.peakConcurrent = this.concurrent
    this.peakTaskQueryQps = 0
    this.throttled = 0
    this.violations = []
    this.submissions = {}
    this.uploads = []
    this.keyLeaks = 0
    this.faults = {}
    this.dropped = 0
    this.mimeMismatches = 0
  }

  request(endpoint: EndpointName): void {
    bump(this.requests, endpoint)
  }

  enter(): void {
    this.concurrent++
    if (this.concurrent > this.peakConcurrent) this.peakConcurrent = this.concurrent
  }

  leave(): void {
    this.concurrent--
  }

  response(endpoint: EndpointName, status: number | string): void {
    bump(this.counts, `${endpoint} ${status}`)
    if (status === 429) this.throttled++
  }

  violation(rule: Rule, endpoint: EndpointName, detail: string): void {
    this.violations.push({ rule, endpoint, detail })
    if (rule === "key_leak") this.keyLeaks++
    if (rule === "mime_mismatch") this.mimeMismatches++
  }

  submission(audio: string): void {
    bump(this.submissions, audio)
  }

  fault(kind: string): void {
    bump(this.faults, kind)
  }

  snapshot(tasks: Report["tasks"]): Report {
    return {
      counts: { ...this.counts },
      requests: { ...this.requests },
      peak_concurrent: this.peakConcurrent,
      peak_task_query_qps: this.peakTaskQueryQps,
      throttled_429: this.throttled,
      violations: [...this.violations],
      submissions_per_audio: { ...this.submissions },
      uploads: [...this.uploads],
      key_leaks: this.keyLeaks,
      tasks,
      faults: { ...this.faults },
      dropped_connections: this.dropped,
      mime_mismatches: this.mimeMismatches
    }
  }
}
