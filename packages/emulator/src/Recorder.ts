/**
 * The mutable accumulator behind the report: counts, peaks, throttling, violations, uploads and the per-second
 * timeline of request starts.
 *
 * @since 0.1.0
 */
import type { EndpointName, Report, Rule, Violation } from "./Report.js"

const bump = (record: Record<string, number>, key: string, by = 1): void => {
  record[key] = (record[key] ?? 0) + by
}

/**
 * What the report needs from the rest of the emulator when it is taken.
 *
 * @since 0.1.0
 * @category models
 */
export interface Live {
  readonly tasks: Report["tasks"]
  readonly batchesLoading: number
  readonly faultsByRule: ReadonlyArray<number>
  readonly clockMs: number
  readonly clockWaiters: number
}

/**
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
  rateLimited = 0
  violations: Array<Violation> = []
  submissions: Record<string, number> = {}
  batches: Array<{ task_id: string; model: string; files: number }> = []
  uploads: Array<{ key: string; bytes: number; model: string }> = []
  keyLeaks = 0
  faults: Record<string, number> = {}
  dropped = 0
  mimeMismatches = 0
  private origin: number
  private starts = new Map<string, Map<number, [number, number]>>()

  constructor(now: number) {
    this.origin = now
  }

  reset(now: number): void {
    this.counts = {}
    this.requests = {}
    this.peakConcurrent = this.concurrent
    this.peakTaskQueryQps = 0
    this.throttled = 0
    this.rateLimited = 0
    this.violations = []
    this.submissions = {}
    this.batches = []
    this.uploads = []
    this.keyLeaks = 0
    this.faults = {}
    this.dropped = 0
    this.mimeMismatches = 0
    this.origin = now
    this.starts = new Map()
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

  /** A request reached a rate limit at `now`; `allowed` is the limit's verdict. */
  start(series: string, now: number, allowed: boolean): void {
    if (!allowed) this.rateLimited++
    let seconds = this.starts.get(series)
    if (seconds === undefined) {
      seconds = new Map()
      this.starts.set(series, seconds)
    }
    const second = Math.floor((now - this.origin) / 1000)
    const row = seconds.get(second) ?? [0, 0]
    row[0]++
    if (!allowed) row[1]++
    seconds.set(second, row)
  }

  violation(rule: Rule, endpoint: EndpointName, detail: string): void {
    this.violations.push({ rule, endpoint, detail })
    if (rule === "key_leak") this.keyLeaks++
    if (rule === "mime_mismatch") this.mimeMismatches++
  }

  submission(audio: string): void {
    bump(this.submissions, audio)
  }

  /** An accepted batch submit. */
  batch(taskId: string, model: string, files: number): void {
    this.batches.push({ task_id: taskId, model, files })
  }

  fault(kind: string): void {
    bump(this.faults, kind)
  }

  snapshot(live: Live): Report {
    const received = Object.entries(this.requests).reduce(
      (sum, [endpoint, n]) => endpoint === "unknown" ? sum : sum + n,
      0
    )
    const series: Record<string, ReadonlyArray<readonly [number, number, number]>> = {}
    for (const [key, seconds] of this.starts) {
      series[key] = [...seconds].sort(([a], [b]) => a - b).map(([second, [starts, limited]]) =>
        [second, starts, limited] as const
      )
    }
    return {
      counts: { ...this.counts },
      requests: { ...this.requests },
      peak_concurrent: this.peakConcurrent,
      in_flight: this.concurrent,
      peak_task_query_qps: this.peakTaskQueryQps,
      throttled_429: this.throttled,
      rate_limited_429: this.rateLimited,
      share_429: received === 0 ? 0 : this.throttled / received,
      violations: [...this.violations],
      submissions_per_audio: { ...this.submissions },
      batches: { submits: [...this.batches], loading: live.batchesLoading },
      uploads: [...this.uploads],
      key_leaks: this.keyLeaks,
      tasks: live.tasks,
      faults: { ...this.faults },
      faults_by_rule: live.faultsByRule,
      dropped_connections: this.dropped,
      mime_mismatches: this.mimeMismatches,
      clock_ms: live.clockMs,
      clock_waiters: live.clockWaiters,
      starts_per_second: { origin_ms: this.origin, series }
    }
  }
}
