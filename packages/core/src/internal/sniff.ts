/**
 * Audio containers from magic bytes. Pure; the probe reads the bytes.
 *
 * @since 0.1.0
 */
import type { Container } from "../AudioItem.js"

const ascii = (bytes: Uint8Array, offset: number, text: string): boolean => {
  if (bytes.length < offset + text.length) return false
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false
  return true
}

const indexOf = (bytes: Uint8Array, text: string, from: number, to: number): number => {
  for (let i = from; i <= Math.min(to, bytes.length - text.length); i++) if (ascii(bytes, i, text)) return i
  return -1
}

/**
 * The size of a leading ID3v2 tag (header included), or 0 when there is none.
 *
 * @internal
 */
export const id3Size = (bytes: Uint8Array): number => {
  if (!ascii(bytes, 0, "ID3") || bytes.length < 10) return 0
  const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f)
  const footer = (bytes[5] & 0x10) !== 0 ? 10 : 0
  return 10 + size + footer
}

/** ADTS: 12-bit sync, then layer bits `00` (MPEG audio frames never use layer `00`). */
const isAdts = (bytes: Uint8Array, at: number): boolean =>
  bytes.length >= at + 2 && bytes[at] === 0xff && (bytes[at + 1] & 0xf6) === 0xf0

/** MPEG audio frame sync (11 bits), a valid version, a layer that is not `00`, and a valid bitrate. */
const isMpegFrame = (bytes: Uint8Array, at: number): boolean => {
  if (bytes.length < at + 3 || bytes[at] !== 0xff || (bytes[at + 1] & 0xe0) !== 0xe0) return false
  const version = (bytes[at + 1] >> 3) & 0x03
  const layer = (bytes[at + 1] >> 1) & 0x03
  const bitrate = (bytes[at + 2] >> 4) & 0x0f
  const sampleRate = (bytes[at + 2] >> 2) & 0x03
  return version !== 0x01 && layer !== 0x00 && bitrate !== 0x0f && sampleRate !== 0x03
}

const imageBrands = new Set(["avif", "avis", "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "jp2 "])

/**
 * The container of an audio stream from its first bytes (64 are enough, except after a large ID3
 * tag: then pass the bytes after the tag too, as `afterId3`).
 *
 * @internal
 */
export const sniff = (bytes: Uint8Array, afterId3?: Uint8Array): Container | undefined => {
  if ((ascii(bytes, 0, "RIFF") || ascii(bytes, 0, "RF64")) && ascii(bytes, 8, "WAVE")) return "wav"
  if (ascii(bytes, 0, "fLaC")) return "flac"
  if (ascii(bytes, 0, "OggS")) {
    if (indexOf(bytes, "OpusHead", 26, 64) !== -1) return "opus"
    return "ogg"
  }
  if (ascii(bytes, 4, "ftyp")) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12))
    return imageBrands.has(brand) ? undefined : "m4a"
  }
  if (bytes.length >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) {
    return "webm"
  }
  if (ascii(bytes, 0, "#!AMR")) return "amr"
  if (ascii(bytes, 0, "ID3")) {
    const size = id3Size(bytes)
    const after = afterId3 ?? (bytes.length >= size + 4 ? bytes.subarray(size) : undefined)
    if (after !== undefined) {
      if (ascii(after, 0, "fLaC")) return "flac"
      if (isAdts(after, 0)) return "aac"
    }
    return "mp3"
  }
  if (isAdts(bytes, 0)) return "aac"
  if (isMpegFrame(bytes, 0)) return "mp3"
  return undefined
}

/**
 * The MIME type for a sniffed container. Raw PCM has none.
 *
 * @internal
 */
export const mimeOf = (container: Container): string | undefined => {
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
      return undefined
  }
}
