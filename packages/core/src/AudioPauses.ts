/**
 * One streamed pass of ffmpeg over a recording of any container: it decodes to 16 kHz mono, reports the
 * pauses (ffmpeg's `silencedetect`: every sample under the threshold for at least the minimum pause), and
 * pipes the samples here, where only the loudness of each 10 ms frame is kept (4 bytes per frame: 1.4 MB
 * for an hour). Nothing holds the audio itself.
 *
 * silencedetect rather than a neural VAD: on the espeak-ng test corpus both put no cut inside a word (see
 * bench/long-audio.mjs and the split route's notes in docs/ARCHITECTURE.md), and silencedetect needs no
 * model weights or native runtime beyond the ffmpeg the split route needs anyway.
 *
 * @since 0.2.0
 */
import { Command } from "@effect/platform"
import type { CommandExecutor } from "@effect/platform"
import { Chunk, Effect, Stream } from "effect"
import type { Loudness, Pause } from "./ChunkPlan.js"
import type { Located } from "./Ffmpeg.js"
import { failedToStart, FfmpegError, tail } from "./Ffmpeg.js"

/**
 * What the pass found.
 *
 * @since 0.2.0
 * @category models
 */
export interface Analysis {
  /** The decoded length (samples / 16 kHz), exact whatever the container's header says. */
  readonly durationMs: number
  readonly pauses: ReadonlyArray<Pause>
  readonly loudness: Loudness
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The level under which a sample is silent, in dBFS. */
  readonly silenceDb: number
  readonly minPauseMs: number
}

const RATE = 16_000
const FRAME_MS = 10
const FRAME_SAMPLES = (RATE * FRAME_MS) / 1000

/** Mean squares of 10 ms frames of s16le samples pushed in any chunking (odd byte counts included). */
class FrameMeter {
  frames = new Float32Array(1 << 16)
  count = 0
  samples = 0
  private sum = 0
  private filled = 0
  private carry: number | undefined

  push(bytes: Uint8Array): void {
    let offset = 0
    if (this.carry !== undefined && bytes.length > 0) {
      this.sample(((bytes[0]! << 8) | this.carry) << 16 >> 16)
      this.carry = undefined
      offset = 1
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const end = offset + Math.floor((bytes.length - offset) / 2) * 2
    for (let i = offset; i < end; i += 2) this.sample(view.getInt16(i, true))
    if (end < bytes.length) this.carry = bytes[end]
  }

  finish(): Float32Array {
    if (this.filled > 0) this.endFrame()
    return this.frames.subarray(0, this.count)
  }

  private sample(value: number): void {
    this.samples++
    this.sum += value * value
    if (++this.filled === FRAME_SAMPLES) this.endFrame()
  }

  private endFrame(): void {
    if (this.count === this.frames.length) {
      const grown = new Float32Array(this.frames.length * 2)
      grown.set(this.frames)
      this.frames = grown
    }
    this.frames[this.count++] = this.sum / this.filled
    this.sum = 0
    this.filled = 0
  }
}

const SILENCE_START = /silence_start:\s*(-?[\d.]+)/
const SILENCE_END = /silence_end:\s*(-?[\d.]+)/

/**
 * The pauses in silencedetect's log lines; a silence still open at the end runs to `durationMs`.
 *
 * @since 0.2.0
 * @category utils
 */
export const parseSilences = (lines: ReadonlyArray<string>, durationMs: number): ReadonlyArray<Pause> => {
  const pauses: Array<Pause> = []
  let open: number | undefined
  for (const line of lines) {
    const start = SILENCE_START.exec(line)
    if (start !== null) {
      open = Math.max(0, Number(start[1]) * 1000)
      continue
    }
    const end = SILENCE_END.exec(line)
    if (end !== null && open !== undefined) {
      pauses.push({ beginMs: Math.round(open), endMs: Math.round(Math.min(durationMs, Number(end[1]) * 1000)) })
      open = undefined
    }
  }
  if (open !== undefined && open < durationMs) pauses.push({ beginMs: Math.round(open), endMs: durationMs })
  return pauses
}

/**
 * Decodes `input` once and returns its length, pauses and loudness.
 *
 * @since 0.2.0
 * @category constructors
 */
export const analyze = (
  ffmpeg: Located,
  input: string,
  options: Options
): Effect.Effect<Analysis, FfmpegError, CommandExecutor.CommandExecutor> => {
  const command = Command.make(
    ffmpeg.path,
    ...["-hide_banner", "-nostdin", "-nostats", "-i", input, "-vn", "-map", "0:a:0", "-ac", "1", "-ar", String(RATE)],
    ...["-af", `silencedetect=noise=${options.silenceDb}dB:d=${options.minPauseMs / 1000}`],
    ...["-f", "s16le", "-acodec", "pcm_s16le", "pipe:1"]
  )
  return Effect.scoped(Effect.gen(function*() {
    const meter = new FrameMeter()
    const child = yield* Command.start(command)
    const [, stderr, code] = yield* Effect.all([
      Stream.runForEach(child.stdout, (bytes) => Effect.sync(() => meter.push(bytes))),
      child.stderr.pipe(Stream.decodeText(), Stream.splitLines, Stream.runCollect),
      child.exitCode
    ], { concurrency: 3 })
    const lines = Chunk.toReadonlyArray(stderr)
    if (code !== 0) {
      return yield* new FfmpegError({
        reason: "Failed",
        description: `ffmpeg could not decode ${input}: ${tail(lines)}`
      })
    }
    const frames = meter.finish()
    const durationMs = Math.round((meter.samples * 1000) / RATE)
    return {
      durationMs,
      pauses: parseSilences(lines, durationMs),
      loudness: { frameMs: FRAME_MS, frames }
    }
  })).pipe(
    Effect.catchTags({
      SystemError: (cause) => failedToStart(cause),
      BadArgument: (cause) => failedToStart(cause)
    })
  )
}
