/**
 * Real audio handling: data URIs, container sniffing, MIME checks, durations, and fetching from 127.0.0.1.
 *
 * @since 0.1.0
 */
import { execFile } from "node:child_process"
import { createHash } from "node:crypto"
import { createWriteStream } from "node:fs"
import * as fsp from "node:fs/promises"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { pipeline } from "node:stream/promises"
import { sha256 } from "./internal/random.js"

// =============================================================================
// Models
// =============================================================================

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
 * @since 0.1.0
 * @category models
 */
export type Container =
  | "wav"
  | "mp3"
  | "flac"
  | "ogg"
  | "opus"
  | "m4a"
  | "mp4"
  | "webm"
  | "mkv"
  | "amr"
  | "aac"
  | "aiff"
  | "wma"
  | "flv"
  | "avi"
  | "mpeg"

// =============================================================================
// Data URIs
// =============================================================================

/**
 * @since 0.1.0
 * @category models
 */
export type DataUri =
  | { readonly _tag: "Ok"; readonly mime: string; readonly bytes: Buffer; readonly encodedLength: number }
  | { readonly _tag: "Invalid"; readonly reason: string }
  | { readonly _tag: "TooLarge"; readonly encodedLength: number }

/**
 * Decodes an RFC 2397 data URI. The size limit applies to the encoded payload, as the service documents.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeDataUri = (uri: string, maxEncodedBytes: number): DataUri => {
  const comma = uri.indexOf(",")
  if (!uri.startsWith("data:") || comma < 0) return { _tag: "Invalid", reason: "malformed data URI" }
  const meta = uri.slice(5, comma)
  const payloadLength = uri.length - comma - 1
  if (payloadLength > maxEncodedBytes) return { _tag: "TooLarge", encodedLength: payloadLength }
  const parts = meta.split(";")
  const mime = (parts[0] ?? "").trim().toLowerCase()
  const base64 = parts.slice(1).some((p) => p.trim().toLowerCase() === "base64")
  const payload = uri.slice(comma + 1)
  if (base64) {
    if (!/^[A-Za-z0-9+/\-_]*={0,2}$/.test(payload.length > 4096 ? payload.slice(0, 4096) : payload)) {
      return { _tag: "Invalid", reason: "invalid base64 payload" }
    }
    return { _tag: "Ok", mime, bytes: Buffer.from(payload, "base64"), encodedLength: payloadLength }
  }
  try {
    return { _tag: "Ok", mime, bytes: Buffer.from(decodeURIComponent(payload), "latin1"), encodedLength: payloadLength }
  } catch {
    return { _tag: "Invalid", reason: "invalid percent-encoding" }
  }
}

// =============================================================================
// Sniffing
// =============================================================================

const ascii = (bytes: Uint8Array, offset: number, text: string): boolean => {
  if (bytes.length < offset + text.length) return false
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false
  return true
}

const indexOfAscii = (bytes: Uint8Array, text: string, limit: number): number => {
  const end = Math.min(bytes.length - text.length, limit)
  for (let i = 0; i <= end; i++) if (ascii(bytes, i, text)) return i
  return -1
}

/**
 * Identifies the container from the first bytes.
 *
 * @since 0.1.0
 * @category utils
 */
export const sniff = (bytes: Uint8Array): Container | undefined => {
  if (bytes.length < 4) return undefined
  if ((ascii(bytes, 0, "RIFF") || ascii(bytes, 0, "RF64")) && ascii(bytes, 8, "WAVE")) return "wav"
  if (ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "AVI ")) return "avi"
  if (ascii(bytes, 0, "fLaC")) return "flac"
  if (ascii(bytes, 0, "OggS")) {
    if (ascii(bytes, 28, "OpusHead")) return "opus"
    return "ogg"
  }
  if (ascii(bytes, 4, "ftyp")) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12))
    return brand === "M4A " || brand === "M4B " ? "m4a" : "mp4"
  }
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) {
    return indexOfAscii(bytes, "webm", 64) >= 0 ? "webm" : "mkv"
  }
  if (ascii(bytes, 0, "#!AMR")) return "amr"
  if (ascii(bytes, 0, "FORM") && (ascii(bytes, 8, "AIFF") || ascii(bytes, 8, "AIFC"))) return "aiff"
  if (bytes[0] === 0x30 && bytes[1] === 0x26 && bytes[2] === 0xb2 && bytes[3] === 0x75) return "wma"
  if (ascii(bytes, 0, "FLV")) return "flv"
  if (bytes[0] === 0x00 && bytes[1] === 0x00 && bytes[2] === 0x01 && bytes[3] === 0xba) return "mpeg"
  if (ascii(bytes, 0, "ID3")) return "mp3"
  if (bytes[0] === 0xff && (bytes[1]! & 0xf6) === 0xf0) return "aac"
  if (bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0 && (bytes[1]! & 0x06) !== 0) return "mp3"
  return undefined
}

const MIME_FAMILIES: Record<string, ReadonlyArray<Container>> = {
  "audio/wav": ["wav"],
  "audio/wave": ["wav"],
  "audio/x-wav": ["wav"],
  "audio/vnd.wave": ["wav"],
  "audio/x-pn-wav": ["wav"],
  "audio/mpeg": ["mp3"],
  "audio/mp3": ["mp3"],
  "audio/mpeg3": ["mp3"],
  "audio/x-mpeg": ["mp3"],
  "audio/flac": ["flac"],
  "audio/x-flac": ["flac"],
  "audio/ogg": ["ogg", "opus"],
  "application/ogg": ["ogg", "opus"],
  "audio/opus": ["opus"],
  "audio/vorbis": ["ogg"],
  "audio/mp4": ["m4a", "mp4"],
  "audio/m4a": ["m4a", "mp4"],
  "audio/x-m4a": ["m4a", "mp4"],
  "video/mp4": ["mp4", "m4a"],
  "audio/aac": ["aac", "m4a", "mp4"],
  "audio/x-aac": ["aac", "m4a", "mp4"],
  "audio/aacp": ["aac"],
  "audio/webm": ["webm", "mkv"],
  "video/webm": ["webm", "mkv"],
  "audio/x-matroska": ["mkv", "webm"],
  "video/x-matroska": ["mkv", "webm"],
  "audio/amr": ["amr"],
  "audio/aiff": ["aiff"],
  "audio/x-aiff": ["aiff"],
  "audio/x-ms-wma": ["wma"],
  "video/x-ms-wmv": ["wma"],
  "video/x-flv": ["flv"],
  "video/x-msvideo": ["avi"],
  "video/mpeg": ["mpeg"]
}

const PCM_MIMES = new Set(["audio/pcm", "audio/l16", "audio/x-pcm", "audio/raw"])

/**
 * True when a declared MIME names a container other than the one in the bytes. Generic or unknown MIME types
 * never contradict.
 *
 * @since 0.1.0
 * @category utils
 */
export const contradicts = (declared: string, actual: Container | undefined): boolean => {
  const family = MIME_FAMILIES[declared.split(";")[0]!.trim().toLowerCase()]
  if (family === undefined) return false
  if (actual === undefined) return true
  return !family.includes(actual)
}

/**
 * @since 0.1.0
 * @category utils
 */
export const isPcmMime = (mime: string): boolean => PCM_MIMES.has(mime.split(";")[0]!.trim().toLowerCase())

// =============================================================================
// Durations
// =============================================================================

/**
 * Reads the WAV header: fmt chunk and data size. `totalBytes` is the real size of the file (for streamed WAVs
 * whose data chunk size is a placeholder).
 *
 * @since 0.1.0
 * @category utils
 */
export const parseWav = (header: Uint8Array, totalBytes: number): AudioInfo | undefined => {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength)
  let offset = 12
  let channels = 0
  let sampleRate = 0
  let byteRate = 0
  while (offset + 8 <= header.length) {
    const id = String.fromCharCode(...header.subarray(offset, offset + 4))
    const size = view.getUint32(offset + 4, true)
    if (id === "fmt " && offset + 24 <= header.length) {
      channels = view.getUint16(offset + 10, true)
      sampleRate = view.getUint32(offset + 12, true)
      byteRate = view.getUint32(offset + 16, true)
    } else if (id === "data") {
      if (byteRate <= 0) return undefined
      const available = Math.max(0, totalBytes - offset - 8)
      const dataBytes = size === 0xffffffff || size > available ? available : size
      return { format: "wav", sampleRate, channels, durationMs: (dataBytes / byteRate) * 1000 }
    }
    offset += 8 + size + (size % 2)
  }
  return undefined
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

const viaMusicMetadata = async (
  source: { readonly bytes: Uint8Array } | { readonly file: string },
  container: Container
): Promise<AudioInfo | undefined> => {
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

const viaFfprobe = async (
  source: { readonly bytes: Uint8Array } | { readonly file: string },
  container: Container
): Promise<AudioInfo | undefined> => {
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

// =============================================================================
// Analysis (cached by sha256)
// =============================================================================

/**
 * @since 0.1.0
 * @category models
 */
export type Analysis =
  | { readonly _tag: "Ok"; readonly sha256: string; readonly container: Container | "pcm"; readonly info: AudioInfo }
  | { readonly _tag: "Unsupported"; readonly sha256: string }

/**
 * Analyses audio once per content hash.
 *
 * @since 0.1.0
 * @category models
 */
export class AudioAnalyzer {
  private cache = new Map<string, Analysis>()

  async analyzeBytes(bytes: Buffer, declaredMime?: string, known?: string): Promise<Analysis> {
    const hash = known ?? sha256(bytes)
    const cached = this.cache.get(hash)
    if (cached !== undefined) return cached
    const container = sniff(bytes)
    let analysis: Analysis
    if (container === undefined) {
      analysis = declaredMime !== undefined && isPcmMime(declaredMime)
        ? {
          _tag: "Ok",
          sha256: hash,
          container: "pcm",
          info: { format: "pcm", sampleRate: 16000, channels: 1, durationMs: (bytes.length / 32000) * 1000 }
        }
        : { _tag: "Unsupported", sha256: hash }
    } else {
      const info = container === "wav"
        ? parseWav(bytes, bytes.length)
        : container === "aac"
        ? parseAdts(bytes)
        : (await viaMusicMetadata({ bytes }, container)) ?? (await viaFfprobe({ bytes }, container))
      analysis = info ? { _tag: "Ok", sha256: hash, container, info } : { _tag: "Unsupported", sha256: hash }
    }
    this.remember(hash, analysis)
    return analysis
  }

  async analyzeFile(file: string, hash: string): Promise<Analysis> {
    const cached = this.cache.get(hash)
    if (cached !== undefined) return cached
    const handle = await fsp.open(file, "r")
    let header: Buffer
    let size: number
    try {
      size = (await handle.stat()).size
      header = Buffer.alloc(Math.min(size, 1 << 20))
      await handle.read(header, 0, header.length, 0)
    } finally {
      await handle.close()
    }
    const container = sniff(header)
    let analysis: Analysis = { _tag: "Unsupported", sha256: hash }
    if (container !== undefined) {
      const info = container === "wav"
        ? parseWav(header, size)
        : container === "aac" && size <= 64 * 1024 * 1024
        ? parseAdts(await fsp.readFile(file))
        : (await viaMusicMetadata({ file }, container)) ?? (await viaFfprobe({ file }, container))
      if (info) analysis = { _tag: "Ok", sha256: hash, container, info }
    }
    this.remember(hash, analysis)
    return analysis
  }

  private remember(hash: string, analysis: Analysis): void {
    if (this.cache.size > 10_000) this.cache.clear()
    this.cache.set(hash, analysis)
  }
}

// =============================================================================
// Fetching (127.0.0.1 only)
// =============================================================================

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"])

/**
 * Only a test's own static server on the loopback interface is reachable.
 *
 * @since 0.1.0
 * @category utils
 */
export const isReachable = (url: URL): boolean =>
  (url.protocol === "http:" || url.protocol === "https:") && LOCAL_HOSTS.has(url.hostname)

/**
 * @since 0.1.0
 * @category models
 */
export type Fetched =
  | { readonly _tag: "Ok"; readonly bytes: Buffer; readonly contentType: string | undefined }
  | { readonly _tag: "Failed"; readonly reason: string }
  | { readonly _tag: "TooLarge" }

const openLocal = (url: URL, redirects = 3): Promise<http.IncomingMessage> =>
  new Promise((resolve, reject) => {
    if (!isReachable(url) || url.protocol !== "http:") return reject(new Error(`unreachable host ${url.host}`))
    const request = http.get(url, { timeout: 30_000 }, (response) => {
      const status = response.statusCode ?? 0
      if (status >= 300 && status < 400 && response.headers.location !== undefined && redirects > 0) {
        response.resume()
        openLocal(new URL(response.headers.location, url), redirects - 1).then(resolve, reject)
        return
      }
      if (status !== 200) {
        response.resume()
        return reject(new Error(`HTTP ${status}`))
      }
      resolve(response)
    })
    request.on("timeout", () => request.destroy(new Error("timeout")))
    request.on("error", reject)
  })

/**
 * Downloads a local URL into memory, up to `maxBytes`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fetchToMemory = async (url: URL, maxBytes: number): Promise<Fetched> => {
  let response: http.IncomingMessage
  try {
    response = await openLocal(url)
  } catch (error) {
    return { _tag: "Failed", reason: String((error as Error).message) }
  }
  const chunks: Array<Buffer> = []
  let total = 0
  try {
    for await (const chunk of response) {
      total += (chunk as Buffer).length
      if (total > maxBytes) {
        response.destroy()
        return { _tag: "TooLarge" }
      }
      chunks.push(chunk as Buffer)
    }
  } catch (error) {
    return { _tag: "Failed", reason: String((error as Error).message) }
  }
  return { _tag: "Ok", bytes: Buffer.concat(chunks), contentType: response.headers["content-type"] }
}

/**
 * Downloads a local URL to a file, hashing while streaming.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fetchToFile = async (
  url: URL,
  file: string
): Promise<
  { readonly _tag: "Ok"; readonly sha256: string; readonly bytes: number } | {
    readonly _tag: "Failed"
    readonly reason: string
  }
> => {
  try {
    const response = await openLocal(url)
    const hash = createHash("sha256")
    let bytes = 0
    response.on("data", (chunk: Buffer) => {
      hash.update(chunk)
      bytes += chunk.length
    })
    await pipeline(response, createWriteStream(file))
    return { _tag: "Ok", sha256: hash.digest("hex"), bytes }
  } catch (error) {
    return { _tag: "Failed", reason: String((error as Error).message) }
  }
}
