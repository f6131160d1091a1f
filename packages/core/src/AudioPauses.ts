/**
 * One streamed pass of ffmpeg over a recording of any container: it decodes to 8 kHz mono (speech's
 * loudness is below 4 kHz) and sends back the loudness (mean square) of each 10 ms frame: 4 bytes per
 * frame, 1.4 MB for an hour; nothing holds the audio itself. The pauses are found on those frames by silencedetect's rule (a
 * level held under a threshold for the minimum pause), with the threshold raised above the recording's
 * noise floor when needed.
 *
 * A level rule rather than a neural VAD (Silero through onnxruntime-node): on the espeak-ng test corpus
 * neither puts a cut inside a word, with or without a -40 dBFS noise floor (the fixed -36 dB threshold
 * alone finds no pause under that noise), while the VAD takes about 100 s per hour of audio on two cores
 * against about 2 s, and a 290 MB native runtime. See docs/ARCHITECTURE.md, "The split route".
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
  /** The decoded length, to the 10 ms frame, whatever the container's header says. */
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

const FRAME_MS = 10
// ffmpeg squares the 8 kHz samples and resamples the squares to one value per 10 ms frame, so that only
// 400 bytes per second of audio cross the pipe (a pipe of PCM leaves tens of MB of buffers to collect)
const LOUDNESS_FILTER = "aformat=channel_layouts=mono,aresample=8000,aeval=val(0)*val(0),aresample=100"
// ffmpeg's float samples are in [-1, 1]; the loudness is kept on the 16-bit scale
const SCALE = 32768 * 32768

/** Frames of little-endian float32 values pushed in any chunking. */
class FrameReader {
  frames = new Float32Array(1 << 14)
  count = 0
  private carry = new Uint8Array(0)

  push(bytes: Uint8Array): void {
    let joined = bytes
    if (this.carry.length > 0) {
      joined = new Uint8Array(this.carry.length + bytes.length)
      joined.set(this.carry)
      joined.set(bytes, this.carry.length)
    }
    const whole = joined.length - (joined.length % 4)
    const view = new DataView(joined.buffer, joined.byteOffset, whole)
    for (let i = 0; i < whole; i += 4) this.add(Math.max(0, view.getFloat32(i, true)) * SCALE)
    this.carry = joined.slice(whole)
  }

  private add(value: number): void {
    if (this.count === this.frames.length) {
      const grown = new Float32Array(this.frames.length * 2)
      grown.set(this.frames)
      this.frames = grown
    }
    this.frames[this.count++] = value
  }
}

/** The share of the quietest frames taken as the recording's noise floor, and the margin above it. */
const FLOOR_PERCENTILE = 0.05
const FLOOR_MARGIN_DB = 6

const FULL_SCALE = 32768 * 32768

/** The level of a frame's mean square, in dBFS. */
const decibels = (meanSquare: number): number => 10 * Math.log10(Math.max(meanSquare, 1e-3) / FULL_SCALE)

/**
 * The recording's noise floor in dBFS: the level of its quietest 5 % of frames.
 *
 * @since 0.2.0
 * @category utils
 */
export const noiseFloorDb = (loudness: Loudness): number => {
  const { frames } = loudness
  if (frames.length === 0) return -Infinity
  const sorted = Float32Array.from(frames).sort()
  return decibels(sorted[Math.floor(FLOOR_PERCENTILE * (sorted.length - 1))]!)
}

/**
 * The pauses of a recording: every run of frames under the threshold that lasts at least the minimum
 * pause (silencedetect's rule, on 10 ms frames). The threshold is `silenceDb`, raised to 6 dB above the
 * recording's noise floor when that is louder, so that a steady hiss does not hide every pause.
 *
 * @since 0.2.0
 * @category utils
 */
export const pausesOf = (loudness: Loudness, options: Options): ReadonlyArray<Pause> => {
  const { frameMs, frames } = loudness
  const threshold = Math.max(options.silenceDb, noiseFloorDb(loudness) + FLOOR_MARGIN_DB)
  const below = FULL_SCALE * 10 ** (threshold / 10)
  const pauses: Array<Pause> = []
  let open: number | undefined
  for (let i = 0; i <= frames.length; i++) {
    const quiet = i < frames.length && frames[i]! < below
    if (quiet && open === undefined) open = i
    if (!quiet && open !== undefined) {
      if ((i - open) * frameMs >= options.minPauseMs) pauses.push({ beginMs: open * frameMs, endMs: i * frameMs })
      open = undefined
    }
  }
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
    ...["-hide_banner", "-nostdin", "-nostats", "-v", "error", "-i", input, "-vn", "-map", "0:a:0"],
    ...["-af", LOUDNESS_FILTER, "-f", "f32le", "pipe:1"]
  )
  return Effect.scoped(Effect.gen(function*() {
    const reader = new FrameReader()
    const child = yield* Command.start(command)
    const [, stderr, code] = yield* Effect.all([
      Stream.runForEach(child.stdout, (bytes) => Effect.sync(() => reader.push(bytes))),
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
    const loudness = { frameMs: FRAME_MS, frames: reader.frames.subarray(0, reader.count) }
    return {
      durationMs: reader.count * FRAME_MS,
      pauses: pausesOf(loudness, options),
      loudness
    }
  })).pipe(
    Effect.catchTags({
      SystemError: (cause) => failedToStart(cause),
      BadArgument: (cause) => failedToStart(cause)
    })
  )
}
