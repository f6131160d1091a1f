/**
 * Time formats used on the wire.
 *
 * @since 0.1.0
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, "0")

const CHINA_OFFSET_MS = 8 * 3600 * 1000

/**
 * `YYYY-MM-DD HH:mm:ss.SSS` in China time (UTC+8), as task queries show it.
 *
 * @since 0.1.0
 */
export const taskTime = (epochMs: number): string => {
  const d = new Date(epochMs + CHINA_OFFSET_MS)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${
    pad(d.getUTCMinutes())
  }:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`
}

/**
 * `YYYY-MM-DD` in China time (used in upload dirs).
 *
 * @since 0.1.0
 */
export const day = (epochMs: number): string => taskTime(epochMs).slice(0, 10)

/**
 * Parses the list filter format `YYYYMMDDhhmmss` (China time) to epoch ms.
 *
 * @since 0.1.0
 */
export const parseCompact = (text: string): number | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text)
  if (!m) return undefined
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - CHINA_OFFSET_MS
}

interface Sleeper {
  readonly due: number
  readonly wake: () => void
  timer: ReturnType<typeof setTimeout> | undefined
}

/**
 * The emulator clock. `real` follows the wall clock plus every `advance`; `manual` stands still until
 * `advance` moves it, so a test decides exactly when time passes. Latencies, task timing, rate-limit refill
 * and expiry all read this clock, and `sleep` wakes when this clock (not the wall clock) reaches the deadline.
 *
 * @since 0.1.0
 */
export class Clock {
  private offset = 0
  private frozenAt: number | undefined
  private readonly sleepers = new Set<Sleeper>()

  constructor(mode: "real" | "manual" = "real") {
    this.setMode(mode)
  }

  now(): number {
    return this.frozenAt ?? Date.now() + this.offset
  }

  advance(ms: number): void {
    if (this.frozenAt !== undefined) this.frozenAt += ms
    else this.offset += ms
    for (const sleeper of [...this.sleepers]) this.check(sleeper)
  }

  setMode(mode: "real" | "manual"): void {
    const now = this.now()
    if (mode === "manual") {
      this.frozenAt = now
      for (const sleeper of this.sleepers) clearTimeout(sleeper.timer)
    } else if (this.frozenAt !== undefined) {
      this.frozenAt = undefined
      this.offset = now - Date.now()
      for (const sleeper of this.sleepers) this.arm(sleeper)
    }
  }

  /** Resolves once this clock has moved `ms` forward. */
  sleep(ms: number): Promise<void> {
    if (!(ms > 0)) return Promise.resolve()
    return new Promise((resolve) => {
      const sleeper: Sleeper = { due: this.now() + ms, wake: resolve, timer: undefined }
      this.sleepers.add(sleeper)
      this.arm(sleeper)
    })
  }

  /** How many sleeps are waiting for this clock. */
  waiting(): number {
    return this.sleepers.size
  }

  /** Wakes every sleep (on close, so no handler stays parked). */
  release(): void {
    for (const sleeper of [...this.sleepers]) this.wake(sleeper)
  }

  private arm(sleeper: Sleeper): void {
    if (this.frozenAt !== undefined) return
    clearTimeout(sleeper.timer)
    sleeper.timer = setTimeout(() => this.check(sleeper), Math.max(0, sleeper.due - this.now()))
    sleeper.timer.unref()
  }

  private check(sleeper: Sleeper): void {
    if (this.now() >= sleeper.due) this.wake(sleeper)
    else this.arm(sleeper)
  }

  private wake(sleeper: Sleeper): void {
    clearTimeout(sleeper.timer)
    this.sleepers.delete(sleeper)
    sleeper.wake()
  }
}
