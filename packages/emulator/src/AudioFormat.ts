/**
 * Which container audio bytes are in, and whether a declared MIME type agrees with it.
 *
 * @since 0.1.0
 */

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
