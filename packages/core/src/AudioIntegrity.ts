/**
 * Whether a recording holds the audio its header announces. A file cut off in a copy or a download
 * keeps its header, and a provider that trusts the header bills the whole announced length for the
 * half that is there. Two checks, both before anything is sent:
 *
 * - WAV: the `data` chunk's declared size against the bytes the file really has (from its first bytes
 *   and its size alone, so `--dry-run` and `validate` get it for free);
 * - other containers: the duration of the audio packets `ffmpeg` can actually read (a stream copy, no
 *   re-encoding) against the probed duration, when `ffmpeg` is installed. This reads the whole file, so
 *   it runs only when an item is about to be transcribed.
 *
 * @since 0.2.0
 */
import type { CommandExecutor } from "@effect/platform"
import { Command } from "@effect/platform"
import { Duration, Effect, Option } from "effect"

/**
 * How far the real duration may fall short of the announced one before the file counts as corrupt:
 * containers differ by encoder delay and padding, never by this much.
 *
 * @since 0.2.0
 * @category constants
 */
export const tolerance = { ratio: 0.05, ms: 500 } as const

/**
 * Whether `actualMs` falls short of `announcedMs` by more than the tolerance.
 *
 * @since 0.2.0
 * @category guards
 */
export const isShort = (announcedMs: number, actualMs: number): boolean =>
  announcedMs - actualMs > Math.max(tolerance.ms, announcedMs * tolerance.ratio)

const ascii = (bytes: Uint8Array, offset: number, text: string): boolean => {
  if (bytes.length < offset + text.length) return false
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false
  return true
}

const u32 = (bytes: Uint8Array, at: number): number =>
  (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0

/**
 * A WAV file's durations from its first bytes and its size: what its `data` chunk announces and what
 * the file holds. Undefined when the chunks are not within `head` (a large chunk before `data`), or for
 * RF64 and streamed WAVs whose sizes are not in the RIFF header.
 *
 * @since 0.2.0
 * @category constructors
 */
export const wavDurations = (
  head: Uint8Array,
  fileSize: number
): { readonly announcedMs: number; readonly actualMs: number } | undefined => {
  if (!ascii(head, 0, "RIFF") || !ascii(head, 8, "WAVE")) return undefined
  let byteRate: number | undefined
  for (let at = 12; at + 8 <= head.length;) {
    const size = u32(head, at + 4)
    if (ascii(head, at, "fmt ") && at + 16 <= head.length) byteRate = u32(head, at + 16)
    if (ascii(head, at, "data")) {
      if (byteRate === undefined || byteRate === 0 || size === 0 || size === 0xffffffff) return undefined
      const available = Math.max(0, fileSize - (at + 8))
      return {
        announcedMs: Math.round((size / byteRate) * 1000),
        actualMs: Math.round((Math.min(size, available) / byteRate) * 1000)
      }
    }
    at += 8 + size + (size % 2)
  }
  return undefined
}

/** Reading a whole file to count its audio should take seconds; this bound keeps a hung read from hanging. */
const decodeBound = Duration.minutes(10)

/**
 * The duration of the audio `ffmpeg` can read from a file (the last `out_time` of a stream copy of its
 * first audio stream), `Option.none()` when ffmpeg is not installed, and `Some(undefined)` when it is but
 * cannot read the file's audio at all.
 *
 * @since 0.2.0
 * @category constructors
 */
export const readableDurationMs = (
  file: string
): Effect.Effect<Option.Option<number | undefined>, never, CommandExecutor.CommandExecutor> =>
  Command.make(
    "ffmpeg",
    "-nostdin",
    "-v",
    "error",
    "-i",
    file,
    "-map",
    "0:a:0",
    "-c",
    "copy",
    "-f",
    "null",
    "-progress",
    "pipe:1",
    "-"
  ).pipe(
    Command.lines,
    Effect.map((lines) => {
      const times = lines.flatMap((line) => {
        const match = /^out_time_us=(\d+)$/.exec(line.trim())
        return match === null ? [] : [Number(match[1]) / 1000]
      })
      const last = times[times.length - 1]
      return Option.some(last === undefined || last <= 0 ? undefined : Math.round(last))
    }),
    Effect.timeoutTo({ duration: decodeBound, onTimeout: () => Option.none(), onSuccess: (value) => value }),
    // not installed (or not runnable): the check is skipped, as the probe's ffprobe fallback is
    Effect.orElseSucceed(() => Option.none())
  )
