/**
 * Audio MIME types from a container name or from the first bytes of a file.
 *
 * @since 0.1.0
 */

const byContainer: Readonly<Record<string, string>> = {
  wav: "audio/wav",
  mp3: "audio/mpeg",
  flac: "audio/flac",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  m4a: "audio/mp4",
  webm: "audio/webm",
  amr: "audio/amr",
  aac: "audio/aac",
  pcm: "audio/pcm"
}

export const ofContainer = (container: string | undefined): string | undefined =>
  container === undefined ? undefined : byContainer[container]

const ascii = (bytes: Uint8Array, start: number, text: string): boolean => {
  if (bytes.length < start + text.length) return false
  for (let i = 0; i < text.length; i++) if (bytes[start + i] !== text.charCodeAt(i)) return false
  return true
}

/** Recognises the container from its magic bytes. */
export const sniff = (bytes: Uint8Array): string | undefined => {
  if (ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WAVE")) return "wav"
  if (ascii(bytes, 0, "fLaC")) return "flac"
  if (ascii(bytes, 0, "OggS")) {
    const head = new TextDecoder("latin1").decode(bytes.subarray(0, Math.min(bytes.length, 128)))
    return head.includes("OpusHead") ? "opus" : "ogg"
  }
  if (ascii(bytes, 4, "ftyp")) return "m4a"
  if (bytes.length >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) {
    return "webm"
  }
  if (ascii(bytes, 0, "#!AMR")) return "amr"
  if (ascii(bytes, 0, "ID3")) return "mp3"
  if (bytes.length >= 2 && bytes[0] === 0xff) {
    if ((bytes[1] & 0xf6) === 0xf0) return "aac"
    if ((bytes[1] & 0xe0) === 0xe0) return "mp3"
  }
  return undefined
}
