/**
 * Which container audio bytes are in, and whether a declared MIME type agrees with it.
 *
 * @since 0.1.0
 */
import type { FileTypeResult } from "file-type"
import { fileTypeFromBuffer, fileTypeFromFile } from "file-type"

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

// file-type names containers by file extension; these are the ones the service accepts (docs/PROTOCOL.md, Limits), folded
// into the names the result document uses.
const CONTAINERS: Readonly<Record<string, Container>> = {
  wav: "wav",
  mp3: "mp3",
  mp2: "mp3",
  mp1: "mp3",
  flac: "flac",
  ogg: "ogg",
  oga: "ogg",
  ogv: "ogg",
  ogm: "ogg",
  ogx: "ogg",
  spx: "ogg",
  opus: "opus",
  m4a: "m4a",
  m4b: "m4a",
  m4p: "m4a",
  f4a: "m4a",
  f4b: "m4a",
  mp4: "mp4",
  m4v: "mp4",
  f4v: "mp4",
  f4p: "mp4",
  mov: "mp4",
  "3gp": "mp4",
  "3g2": "mp4",
  webm: "webm",
  mkv: "mkv",
  amr: "amr",
  aac: "aac",
  aif: "aiff",
  asf: "wma",
  flv: "flv",
  avi: "avi",
  mpg: "mpeg"
}

const fromFileType = (result: FileTypeResult | undefined): Container | undefined =>
  result === undefined ? undefined : CONTAINERS[result.ext]

// file-type does not know RF64, the WAV layout for files over 4 GiB.
const isRf64 = (bytes: Uint8Array): boolean =>
  bytes.length >= 12 && Buffer.from(bytes.subarray(0, 4)).toString("latin1") === "RF64" &&
  Buffer.from(bytes.subarray(8, 12)).toString("latin1") === "WAVE"

/**
 * Identifies the container from the bytes (magic numbers, through `file-type`).
 *
 * @since 0.1.0
 * @category utils
 */
export const sniff = async (bytes: Uint8Array): Promise<Container | undefined> =>
  isRf64(bytes) ? "wav" : fromFileType(await fileTypeFromBuffer(bytes))

/**
 * Identifies the container of a file, reading only as much of it as the magic numbers need.
 *
 * @since 0.1.0
 * @category utils
 */
export const sniffFile = async (file: string, head: Uint8Array): Promise<Container | undefined> =>
  isRf64(head) ? "wav" : fromFileType(await fileTypeFromFile(file))

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
