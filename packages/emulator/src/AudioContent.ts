/**
 * What is in the audio, for transcripts that follow it (`synthetic_transcripts: "audio"`): the voiced stretches
 * between pauses, each with its pitch (zero crossings). The same stretch gives the same words wherever it sits,
 * so the pieces of a split recording transcribe to the pieces of the whole recording's transcript.
 *
 * PCM WAV is read directly; other containers are decoded by `ffmpeg` to 16 kHz mono when it is on PATH (without
 * it, the transcript falls back to the hash-derived one). Samples are streamed, never held whole.
 *
 * @since 0.1.0
 */
import { spawn } from "node:child_process"
import { createReadStream } from "node:fs"
import * as fsp from "node:fs/promises"
import type { Readable } from "node:stream"
import type { Source } from "./AudioDuration.js"
import { wavLayout } from "./AudioDuration.js"
import type { Container } from "./AudioFormat.js"
import { median, PitchTracker } from "./VoicePitch.js"

/**
 * A voiced stretch of audio.
 *
 * @since 0.1.0
 * @category models
 */
export interface Segment {
  readonly beginMs: number
  readonly endMs: number
  /** The pitch, from the zero crossings of its voiced frames. */
  readonly hz: number
  /** The voice's fundamental frequency (median over its voiced frames), when pitch tracking was asked for. */
  readonly f0?: number | undefined
}

const FRAME_MS = 20
// ≈ -36 dBFS for 16-bit samples: quieter frames are pauses
const VOICED_RMS = 500
const MIN_PAUSE_MS = 300
const MIN_SEGMENT_MS = 60

/**
 * Splits mono 16-bit samples, pushed in any chunking, into voiced segments.
 *
 * @since 0.1.0
 * @category constructors
 */
export class Segmenter {
  private readonly frameSize: number
  private frame = 0
  private filled = 0
  private squares = 0
  private crossings = 0
  private previous = 0
  private open: { start: number; lastVoiced: number; crossings: number; voiced: number; f0s: Array<number> } | undefined
  private readonly segments: Array<Segment> = []
  private readonly pitch: PitchTracker | undefined

  constructor(private readonly sampleRate: number, trackPitch = false) {
    this.frameSize = Math.max(1, Math.round((sampleRate * FRAME_MS) / 1000))
    this.pitch = trackPitch ? new PitchTracker(sampleRate, this.frameSize) : undefined
  }

  push(samples: Int16Array): void {
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!
      this.squares += sample * sample
      if ((sample >= 0) !== (this.previous >= 0)) this.crossings++
      this.previous = sample
      this.pitch?.sample(sample)
      if (++this.filled === this.frameSize) this.endFrame()
    }
  }

  finish(): ReadonlyArray<Segment> {
    if (this.filled > 0) this.endFrame()
    this.close()
    return this.segments
  }

  private endFrame(): void {
    const voiced = Math.sqrt(this.squares / this.filled) >= VOICED_RMS
    if (voiced) {
      this.open ??= { start: this.frame, lastVoiced: this.frame, crossings: 0, voiced: 0, f0s: [] }
      this.open.lastVoiced = this.frame
      const f0 = this.pitch?.frame()
      if (f0 !== undefined) this.open.f0s.push(f0)
      this.open.crossings += this.crossings
      this.open.voiced += this.filled
    } else if (this.open !== undefined && (this.frame - this.open.lastVoiced) * FRAME_MS >= MIN_PAUSE_MS) {
      this.close()
    }
    this.frame++
    this.filled = 0
    this.squares = 0
    this.crossings = 0
  }

  private close(): void {
    const open = this.open
    this.open = undefined
    if (open === undefined || (open.lastVoiced + 1 - open.start) * FRAME_MS < MIN_SEGMENT_MS) return
    this.segments.push({
      beginMs: open.start * FRAME_MS,
      endMs: (open.lastVoiced + 1) * FRAME_MS,
      hz: open.crossings / 2 / (open.voiced / this.sampleRate),
      ...(this.pitch === undefined ? {} : { f0: median(open.f0s) })
    })
  }
}

/** Turns interleaved 16-bit little-endian PCM, in chunks of any length, into mono samples. */
const mixer = (channels: number) => {
  let carry = Buffer.alloc(0)
  const frameBytes = 2 * channels
  return (chunk: Buffer): Int16Array => {
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
    const frames = Math.floor(bytes.length / frameBytes)
    carry = Buffer.from(bytes.subarray(frames * frameBytes))
    const out = new Int16Array(frames)
    for (let f = 0; f < frames; f++) {
      let sum = 0
      for (let c = 0; c < channels; c++) sum += bytes.readInt16LE(f * frameBytes + c * 2)
      out[f] = Math.round(sum / channels)
    }
    return out
  }
}

const consume = async (
  stream: Readable,
  sampleRate: number,
  channels: number,
  pitch: boolean
): Promise<ReadonlyArray<Segment>> => {
  const segmenter = new Segmenter(sampleRate, pitch)
  const mix = mixer(channels)
  for await (const chunk of stream) segmenter.push(mix(chunk as Buffer))
  return segmenter.finish()
}

const readHead = async (source: Source): Promise<{ readonly head: Uint8Array; readonly size: number }> => {
  if ("bytes" in source) return { head: source.bytes, size: source.bytes.length }
  const handle = await fsp.open(source.file, "r")
  try {
    const size = (await handle.stat()).size
    const head = Buffer.alloc(Math.min(size, 1 << 16))
    await handle.read(head, 0, head.length, 0)
    return { head, size }
  } finally {
    await handle.close()
  }
}

const fromWav = async (source: Source, pitch: boolean): Promise<ReadonlyArray<Segment> | undefined> => {
  const { head, size } = await readHead(source)
  const layout = wavLayout(head, size)
  if (layout === undefined || layout.bitsPerSample !== 16 || (layout.encoding !== 1 && layout.encoding !== 0xfffe)) {
    return undefined
  }
  const { channels, dataBytes, dataOffset, sampleRate } = layout
  if ("bytes" in source) {
    const segmenter = new Segmenter(sampleRate, pitch)
    segmenter.push(mixer(channels)(Buffer.from(source.bytes.subarray(dataOffset, dataOffset + dataBytes))))
    return segmenter.finish()
  }
  const end = dataOffset + dataBytes - 1
  return end < dataOffset
    ? []
    : consume(createReadStream(source.file, { start: dataOffset, end }), sampleRate, channels, pitch)
}

const viaFfmpeg = async (source: Source, pitch: boolean): Promise<ReadonlyArray<Segment> | undefined> => {
  const input = "file" in source ? source.file : "pipe:0"
  const child = spawn("ffmpeg", ["-v", "error", "-i", input, "-f", "s16le", "-ac", "1", "-ar", "16000", "pipe:1"], {
    stdio: ["pipe", "pipe", "ignore"]
  })
  const exited = new Promise<boolean>((resolve) => {
    child.on("error", () => resolve(false))
    child.on("close", (code) => resolve(code === 0))
  })
  child.stdin.on("error", () => undefined)
  child.stdin.end("bytes" in source ? source.bytes : undefined)
  const found = await consume(child.stdout, 16000, 1, pitch).catch(() => undefined)
  return (await exited) ? found : undefined
}

/**
 * The voiced segments of audio already identified as `container`, or undefined when it cannot be decoded here;
 * with `pitch`, each with its voice's fundamental frequency.
 *
 * @since 0.1.0
 * @category constructors
 */
export const segments = async (
  source: Source,
  container: Container | "pcm",
  pitch = false
): Promise<ReadonlyArray<Segment> | undefined> => {
  if (container === "pcm") {
    if ("file" in source) return consume(createReadStream(source.file), 16000, 1, pitch)
    const segmenter = new Segmenter(16000, pitch)
    segmenter.push(mixer(1)(Buffer.from(source.bytes)))
    return segmenter.finish()
  }
  if (container === "wav") {
    const direct = await fromWav(source, pitch)
    if (direct !== undefined) return direct
  }
  return viaFfmpeg(source, pitch)
}

/**
 * Segments per audio, computed once per sha256.
 *
 * @since 0.1.0
 * @category models
 */
export class ContentCache {
  private readonly cache = new Map<string, Promise<ReadonlyArray<Segment> | undefined>>()

  segmentsOf(
    hash: string,
    source: Source,
    container: Container | "pcm",
    pitch = false
  ): Promise<ReadonlyArray<Segment> | undefined> {
    const key = pitch ? `${hash}:f0` : hash
    let found = this.cache.get(key)
    if (found === undefined) {
      if (this.cache.size > 1000) this.cache.clear()
      found = segments(source, container, pitch).catch(() => undefined)
      this.cache.set(key, found)
    }
    return found
  }
}
