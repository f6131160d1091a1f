/**
 * Durations, sample rates and channels: from the WAV header, from ADTS frames, else from `music-metadata` with
 * `ffprobe` as the fallback.
 *
 * @since 0.1.0
 */
import { execFile } from "node:child_process"
import * as fsp from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import type { Container } from "./AudioFormat.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface AudioInfo {
  /** Container as the result document names it: wav, mp3, flac, ogg, opus, m4a, mp4, webm, mkv, amr, aac, … */
  readonly format: string
  readonly sampleRate: number
  readonly channels: number
  readonly durationMs: number
}

/**
 * Where a WAV's samples are and how they are laid out.
 *
 * @since 0.1.0
 * @category models
 */
export interface WavLayout {
  /** 1 = integer PCM, 3 = float, 0xfffe = extensible. */
  readonly encoding: number
  readonly bitsPerSample: number
  readonly channels: number
  readonly sampleRate: number
  readonly byteRate: number
  readonly dataOffset: number
  readonly dataBytes: number
}

/**
 * Walks the RIFF chunks to the fmt chunk and the data chunk. `totalBytes` is the real size of the file (for
 * streamed WAVs whose data chunk size is a placeholder).
 *
 * @since 0.1.0
 * @category utils
 */
export const wavLayout = (header: Uint8Array, totalBytes: number): WavLayout | undefined => {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength)
  let offset = 12
  let fmt: Omit<WavLayout, "dataOffset" | "dataBytes"> | undefined
  while (offset + 8 <= header.length) {
    const id = String.fromCharCode(...header.subarray(offset, offset + 4))
    const size = view.getUint32(offset + 4, true)
    if (id === "fmt " && offset + 24 <= header.length) {
      fmt = {
        encoding: view.getUint16(offset + 8, true),
        channels: view.getUint16(offset + 10, true),
        sampleRate: view.getUint32(offset + 12, true),
        byteRate: view.getUint32(offset + 16, true),
        bitsPerSample: view.getUint16(offset + 22, true)
      }
    } else if (id === "data") {
      if (fmt === undefined) return undefined
      const available = Math.max(0, totalBytes - offset - 8)
      const dataBytes = size === 0xffffffff || size > available ? available : size
      return { ...fmt, dataOffset: offset + 8, dataBytes }
    }
    offset += 8 + size + (size % 2)
  }
  return undefined
}

/**
 * Reads the WAV header: fmt chunk and data size.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseWav = (header: Uint8Array, totalBytes: number): AudioInfo | undefined => {
  const layout = wavLayout(header, totalBytes)
  if (layout === undefined || layout.byteRate <= 0) return undefined
  return {
    format: "wav",
    sampleRate: layout.sampleRate,
    channels: layout.channels,
    durationMs: (layout.dataBytes / layout.byteRate) * 1000
  }
}

const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]

/**
 * Walks ADTS frames (raw AAC): 1024 samples per raw data block, so the duration is exact.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseAdts = (bytes: Uint8Array): AudioInfo | undefined => {
  let offset = 0
  let samples = 0
  let sampleRate = 0
  let channels = 0
  while (offset + 7 <= bytes.length) {
    if (bytes[offset] !== 0xff || (bytes[offset + 1]! & 0xf6) !== 0xf0) break
    const rate = ADTS_RATES[(bytes[offset + 2]! & 0x3c) >> 2]
    if (rate === undefined) break
    sampleRate = rate
    channels = ((bytes[offset + 2]! & 0x01) << 2) | ((bytes[offset + 3]! & 0xc0) >> 6)
    const length = ((bytes[offset + 3]! & 0x03) << 11) | (bytes[offset + 4]! << 3) | ((bytes[offset + 5]! & 0xe0) >> 5)
    if (length < 7) break
    samples += 1024 * ((bytes[offset + 6]! & 0x03) + 1)
    offset += length
  }
  if (sampleRate === 0) return undefined
  return { format: "aac", sampleRate, channels: channels || 1, durationMs: (samples / sampleRate) * 1000 }
}

const ffprobe = (file: string): Promise<{ durationMs: number; sampleRate: number; channels: number } | undefined> =>
  new Promise((resolve) => {
    execFile(
      "ffprobe",
      ["-v", "error", "-show_entries", "format=duration:stream=sample_rate,channels", "-of", "json", file],
      { timeout: 30_000 },
      (error, stdout) => {
        if (error) return resolve(undefined)
        try {
          const json = JSON.parse(stdout) as {
            format?: { duration?: string }
            streams?: Array<{ sample_rate?: string; channels?: number }>
          }
          const seconds = Number(json.format?.duration)
          const stream = json.streams?.find((s) => s.sample_rate !== undefined) ?? json.streams?.[0]
          if (!Number.isFinite(seconds)) return resolve(undefined)
          resolve({
            durationMs: seconds * 1000,
            sampleRate: Number(stream?.sample_rate ?? 16000),
            channels: stream?.channels ?? 1
          })
        } catch {
          resolve(undefined)
        }
      }
    )
  })

const viaMusicMetadata = async (source: Source, container: Container): Promise<AudioInfo | undefined> => {
  try {
    const mm = await import("music-metadata")
    const options = { duration: true, skipCovers: true }
    const meta = "bytes" in source
      ? await mm.parseBuffer(source.bytes, { size: source.bytes.length }, options)
      : await mm.parseFile(source.file, options)
    const seconds = meta.format.duration
    if (seconds === undefined || !Number.isFinite(seconds)) return undefined
    return {
      format: container,
      sampleRate: meta.format.sampleRate ?? 16000,
      channels: meta.format.numberOfChannels ?? 1,
      durationMs: seconds * 1000
    }
  } catch {
    return undefined
  }
}

const viaFfprobe = async (source: Source, container: Container): Promise<AudioInfo | undefined> => {
  if ("file" in source) {
    const probed = await ffprobe(source.file)
    return probed && { format: container, ...probed }
  }
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "asrflow-emulator-probe-"))
  try {
    const file = path.join(dir, `audio.${container}`)
    await fsp.writeFile(file, source.bytes)
    const probed = await ffprobe(file)
    return probed && { format: container, ...probed }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true })
  }
}

/**
 * Where audio to measure lives: in memory, or in a file.
 *
 * @since 0.1.0
 * @category models
 */
export type Source = { readonly bytes: Uint8Array } | { readonly file: string }

/**
 * Measures a container that has no header parser here: `music-metadata` first, `ffprobe` second.
 *
 * @since 0.1.0
 * @category utils
 */
export const probe = async (source: Source, container: Container): Promise<AudioInfo | undefined> =>
  (await viaMusicMetadata(source, container)) ?? (await viaFfprobe(source, container))
