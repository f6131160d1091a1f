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

/**
 * A FLAC file's duration in ms from its STREAMINFO block (the first after `fLaC`: 20 bits of sample rate,
 * 36 of total samples), as music-metadata computes it; `undefined` when the block does not say.
 *
 * @since 0.2.0
 * @category utils
 */
export const flacDurationMs = (bytes: Uint8Array): number | undefined => {
  // `fLaC`, a block header whose type (low 7 bits) is 0, then STREAMINFO from byte 8
  if (!ascii(bytes, 0, "fLaC") || bytes.length < 26 || (bytes[4]! & 0x7f) !== 0) return undefined
  const sampleRate = (bytes[18]! << 12) | (bytes[19]! << 4) | (bytes[20]! >> 4)
  const low = ((bytes[22]! << 24) | (bytes[23]! << 16) | (bytes[24]! << 8) | bytes[25]!) >>> 0
  const totalSamples = (bytes[21]! & 0x0f) * 2 ** 32 + low
  if (sampleRate === 0 || totalSamples === 0) return undefined
  return Math.round((totalSamples / sampleRate) * 1000)
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
  // RIFF/WAVE needs no sniffer: the most common container answers without one (plans of many files)
  ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WAVE") ?
    Effect.succeed("wav") :
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
