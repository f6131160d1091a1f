/**
 * Rate limits: a per-model requests-per-minute token bucket, and sliding 1 s windows for task queries and
 * getPolicy.
 *
 * The bucket of a model holds `rpm × burst_seconds / 60` tokens (by default a full minute, i.e. `rpm`; or
 * `rpm × burst_fraction`) and refills continuously at `rpm / 60` tokens per second (the capacity is at least one
 * token). docs/PROTOCOL.md (Limits) says limits are per root account and per model and "may also be enforced per second";
 * `burst_seconds: 1` gives that stricter per-second mode. A limit that changes (a config patch or a `schedule`
 * entry falling due) retunes the bucket without refilling it, as a shared key's limit would.
 *
 * @since 0.1.0
 */
import type { EmulatorConfig } from "./EmulatorConfig.js"

/**
 * @since 0.1.0
 * @category models
 */
export class TokenBucket {
  private tokens: number
  private updated: number
  constructor(private capacity: number, private perMs: number, now: number) {
    this.tokens = capacity
    this.updated = now
  }
  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updated)
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.perMs)
    this.updated = now
  }
  /** Changes capacity and rate from `now` on, keeping the tokens left (up to the new capacity). */
  retune(capacity: number, perMs: number, now: number): void {
    if (capacity === this.capacity && perMs === this.perMs) return
    this.refill(now)
    this.capacity = capacity
    this.perMs = perMs
    this.tokens = Math.min(this.tokens, capacity)
  }
  /** The whole tokens left, and how long until the bucket is full again. */
  peek(now: number): { readonly remaining: number; readonly fullInMs: number } {
    this.refill(now)
    return {
      remaining: Math.floor(this.tokens),
      fullInMs: this.perMs > 0 ? Math.ceil((this.capacity - this.tokens) / this.perMs) : 0
    }
  }
  take(now: number): boolean {
    this.refill(now)
    if (this.tokens >= 1) {
      this.tokens -= 1
      return true
    }
    return false
  }
}

/**
 * Timestamps of events in the last second, in a growable ring.
 *
 * @since 0.1.0
 * @category models
 */
export class SlidingWindow {
  private times: Array<number> = []
  private head = 0
  count(now: number, windowMs = 1000): number {
    const cutoff = now - windowMs
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) this.head++
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head)
      this.head = 0
    }
    return this.times.length - this.head
  }
  add(now: number): void {
    this.times.push(now)
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export class RateLimits {
  private buckets = new Map<string, TokenBucket>()
  private taskAll = new SlidingWindow()
  private taskAccepted = new SlidingWindow()
  private policies = new Map<string, SlidingWindow>()
  private scheduleFrom: number
  private answered429 = 0

  constructor(private config: EmulatorConfig, now: number) {
    this.scheduleFrom = now
  }

  /** Takes a new config; `rebaseSchedule` when it carries a new `schedule`, whose times count from `now`. */
  configure(config: EmulatorConfig, now: number, rebaseSchedule: boolean): void {
    this.config = config
    if (rebaseSchedule) this.scheduleFrom = now
  }

  reset(): void {
    this.buckets.clear()
    this.taskAll = new SlidingWindow()
    this.taskAccepted = new SlidingWindow()
    this.policies.clear()
    this.answered429 = 0
  }

  /** The limit of a model at `now`: `requests_per_minute` with every due schedule entry merged over it, in order. */
  rpm(model: string, now: number): number {
    const limits = this.config.rate_limits
    const elapsed = now - this.scheduleFrom
    let table = limits.requests_per_minute
    for (const change of limits.schedule) {
      if (change.after_ms <= elapsed) table = { ...table, ...change.requests_per_minute }
    }
    return table[model] ?? table.default ?? 100
  }

  /** Takes one token for a model; false means answer 429. */
  takeModel(model: string, now: number): boolean {
    const limits = this.config.rate_limits
    if (!limits.enabled) return true
    const rpm = this.rpm(model, now)
    const burstSeconds = limits.burst_fraction === undefined ? limits.burst_seconds : limits.burst_fraction * 60
    const capacity = Math.max(1, (rpm * burstSeconds) / 60)
    let bucket = this.buckets.get(model)
    if (bucket === undefined) {
      bucket = new TokenBucket(capacity, rpm / 60_000, now)
      this.buckets.set(model, bucket)
    } else {
      bucket.retune(capacity, rpm / 60_000, now)
    }
    return bucket.take(now)
  }

  /**
   * A model's limit as `x-ratelimit-*` headers report it: the requests per minute, the requests left now, and the
   * time until the budget is whole again.
   */
  usage(model: string, now: number): { readonly limit: number; readonly remaining: number; readonly resetMs: number } {
    const limit = this.rpm(model, now)
    const bucket = this.buckets.get(model)
    if (bucket === undefined) return { limit, remaining: limit, resetMs: 0 }
    const { fullInMs, remaining } = bucket.peek(now)
    return { limit, remaining, resetMs: fullInMs }
  }

  /** Records a task query; returns the number of queries in the last second (including this one) and the verdict. */
  taskQuery(now: number): { readonly rate: number; readonly allowed: boolean } {
    this.taskAll.add(now)
    const rate = this.taskAll.count(now)
    const limit = this.config.rate_limits.task_query_qps
    const allowed = !this.config.rate_limits.enabled || this.taskAccepted.count(now) < limit
    if (allowed) this.taskAccepted.add(now)
    return { rate, allowed }
  }

  policy(model: string, now: number): boolean {
    if (!this.config.rate_limits.enabled) return true
    let window = this.policies.get(model)
    if (window === undefined) {
      window = new SlidingWindow()
      this.policies.set(model, window)
    }
    if (window.count(now) >= this.config.rate_limits.get_policy_qps) return false
    window.add(now)
    return true
  }

  /**
   * The Retry-After seconds of the next 429, or undefined for none: `retry_after_s` on `retry_after_share` of the
   * 429s, spread evenly (the n-th 429 carries it when ⌊n·share⌋ grows).
   */
  retryAfter(): number | undefined {
    const { retry_after_s: seconds, retry_after_share: share } = this.config.rate_limits
    const n = ++this.answered429
    if (seconds == null) return undefined
    return Math.floor(n * share) > Math.floor((n - 1) * share) ? seconds : undefined
  }
}
