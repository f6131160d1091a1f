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

/**
 * A controllable clock: real time plus an offset that tests can advance.
 *
 * @since 0.1.0
 */
export class Clock {
  private offset = 0
  now(): number {
    return Date.now() + this.offset
  }
  advance(ms: number): void {
    this.offset += ms
  }
}
