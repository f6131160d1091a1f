/**
 * Subtitle timecodes: SRT `HH:MM:SS,mmm` and WebVTT `HH:MM:SS.mmm`.
 *
 * @since 0.1.0
 */

const pad = (value: number, width: number): string => String(value).padStart(width, "0")

/** Formats milliseconds as `HH:MM:SS<separator>mmm`; negative input is clamped to 0, hours may exceed 99. */
export const format = (ms: number, separator: "," | "."): string => {
  const total = Math.max(0, Math.round(ms))
  const hours = Math.floor(total / 3_600_000)
  const minutes = Math.floor((total % 3_600_000) / 60_000)
  const seconds = Math.floor((total % 60_000) / 1000)
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}${separator}${pad(total % 1000, 3)}`
}

/** `00:00:01,000` */
export const srt = (ms: number): string => format(ms, ",")

/** `00:00:01.000` */
export const vtt = (ms: number): string => format(ms, ".")
