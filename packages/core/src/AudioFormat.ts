/**
 * The one audio sniffer and MIME map: the container of a recording from its first bytes, never from its
 * extension. Recognition is `file-type`'s; asrflow adds only what it lacks (RF64 WAV, an Ogg page whose
 * codec header is cut off) and what it is too lenient about (an MPEG frame header with a reserved
 * bitrate or sample rate is not audio).
 *
 * @since 0.2.0
 */
import { Effect } from "effect"
import { fileTypeFromBuffer } from "file-type"
import type { Container } from "./AudioItem.js"

/**
 * How many leading bytes `detect` wants (file-type's sample size).
 *
 * @since 0.2.0
 * @category constants
 */
export const headerBytes = 4100

const ascii = (bytes: Uint8Array, offset: number, text: string): boolean => {
  if (bytes.length < offset + text.length) return false
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false
  return true
}

/**
 * The size of a leading ID3v2 tag (header and footer included), or 0 when there is none. A tag larger
 * than the header read hides the audio behind it: read again after it.
 *
 * @since 0.2.0
 * @category utils
 */
export const id3Size = (bytes: Uint8Array): number => {
  if (!ascii(bytes, 0, "ID3") || bytes.length < 10) return 0
  const size = ((bytes[6]! & 0x7f) << 21) | ((bytes[7]! & 0x7f) << 14) | ((bytes[8]! & 0x7f) << 7) | (bytes[9]! & 0x7f)
  const footer = (bytes[5]! & 0x10) !== 0 ? 10 : 0
  return 10 + size + footer
}

/** MPEG audio frame sync, a valid version and layer, and neither the reserved bitrate nor sample rate. */
const isMpegFrame = (bytes: Uint8Array, at: number): boolean => {
  if (bytes.length < at + 3 || bytes[at] !== 0xff || (bytes[at + 1]! & 0xe0) !== 0xe0) return false
  const version = (bytes[at + 1]! >> 3) & 0x03
  const layer = (bytes[at + 1]! >> 1) & 0x03
  const bitrate = (bytes[at + 2]! >> 4) & 0x0f
  const sampleRate = (bytes[at + 2]! >> 2) & 0x03
  return version !== 0x01 && layer !== 0x00 && bitrate !== 0x0f && sampleRate !== 0x03
}

const byExtension: Readonly<Record<string, Container>> = {
  wav: "wav",
  mp3: "mp3",
  mp2: "mp3",
  mp1: "mp3",
  flac: "flac",
  ogg: "ogg",
  oga: "ogg",
  opus: "opus",
  m4a: "m4a",
  mp4: "m4a",
  m4b: "m4a",
  webm: "webm",
  mka: "webm",
  amr: "amr",
  aac: "aac"
}

/**
 * The container of a recording from its first bytes (`headerBytes` of them, or the whole file when it
 * is smaller), or `undefined` when they are not audio asrflow knows.
 *
 * @since 0.2.0
 * @category constructors
 */
export const detect = (bytes: Uint8Array): Effect.Effect<Container | undefined> =>
  Effect.promise(() => fileTypeFromBuffer(bytes).catch(() => undefined)).pipe(
    Effect.map((found) => {
      if (found === undefined) {
        if (ascii(bytes, 0, "RF64") && ascii(bytes, 8, "WAVE")) return "wav"
        if (ascii(bytes, 0, "OggS")) return "ogg"
        return undefined
      }
      const container = byExtension[found.ext]
      // file-type takes any 11-bit sync for MPEG audio; a frame header with reserved fields is noise
      if (container === "mp3" && id3Size(bytes) === 0 && !isMpegFrame(bytes, 0)) return undefined
      return container
    })
  )

/**
 * The MIME type a provider should be told for a container. Raw PCM has none.
 *
 * @since 0.2.0
 * @category utils
 */
export const mimeOf = (container: Container | undefined): string | undefined => {
  switch (container) {
    case "wav":
      return "audio/wav"
    case "mp3":
      return "audio/mpeg"
    case "flac":
      return "audio/flac"
    case "ogg":
    case "opus":
      return "audio/ogg"
    case "m4a":
      return "audio/mp4"
    case "webm":
      return "audio/webm"
    case "amr":
      return "audio/amr"
    case "aac":
      return "audio/aac"
    case "pcm":
    case undefined:
      return undefined
  }
}

/**
 * The duration of a PCM WAV from its header: the `data` chunk's size over the `fmt ` chunk's byte rate
 * (a size of 0 or 0xFFFFFFFF, as a streaming writer leaves it, means "to the end of the file"). Undefined
 * when the header is not plain RIFF/WAVE or its chunks lie beyond the bytes read.
 *
 * @since 0.3.0
 * @category utils
 */
export const wavDurationMs = (head: Uint8Array, fileSize: number): number | undefined => {
  if (!ascii(head, 0, "RIFF") || !ascii(head, 8, "WAVE")) return undefined
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  let byteRate: number | undefined
  for (let at = 12; at + 8 <= head.length;) {
    const size = view.getUint32(at + 4, true)
    if (ascii(head, at, "fmt ") && at + 20 <= head.length) byteRate = view.getUint32(at + 16, true)
    if (ascii(head, at, "data")) {
      if (byteRate === undefined || byteRate === 0) return undefined
      const available = fileSize - (at + 8)
      const bytes = size === 0 || size === 0xffffffff || size > available ? available : size
      return bytes > 0 ? Math.round((bytes * 1000) / byteRate) : undefined
    }
    at += 8 + size + (size % 2)
  }
  return undefined
}
