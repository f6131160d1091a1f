/**
 * Rate limits: a per-model requests-per-minute token bucket, and sliding 1 s windows for task queries and
 * getPolicy.
 *
 * The bucket for a model holds `rpm * burst_seconds / 60` tokens (by default a full minute, i.e. `rpm`) and
 * refills continuously at `rpm / 60` tokens per second (the capacity is at least one token). docs/PROTOCOL.md §10 says limits are per root account and
 * per model and "may also be enforced per second"; `burst_seconds: 1` gives that stricter per-second mode.
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
  constructor(readonly capacity: number, readonly perMs: number, now: number) {
    this.tokens = capacity
    this.updated = now
  }
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.updated)
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.perMs)
    this.updated = now
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

  constructor(private config: EmulatorConfig) {}

  configure(config: EmulatorConfig): void {
    const before = this.config.rate_limits
    this.config = config
    if (JSON.stringify(before) !== JSON.stringify(config.rate_limits)) this.buckets.clear()
  }

  reset(): void {
    this.buckets.clear()
    this.taskAll = new SlidingWindow()
    this.taskAccepted = new SlidingWindow()
    this.policies.clear()
  }

  rpm(model: string): number {
    const table = this.config.rate_limits.requests_per_minute
    return table[model] ?? table.default ?? 100
  }

  /** Takes one token for a model; false means answer 429. */
  takeModel(model: string, now: number): boolean {
    if (!this.config.rate_limits.enabled) return true
    let bucket = this.buckets.get(model)
    if (bucket === undefined) {
      const rpm = this.rpm(model)
      bucket = new TokenBucket(Math.max(1, (rpm * this.config.rate_limits.burst_seconds) / 60), rpm / 60_000, now)
      this.buckets.set(model, bucket)
    }
    return bucket.take(now)
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
}
