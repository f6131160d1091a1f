import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { wavHeader as sharedWavHeader } from "../../../../bench/lib/wav.mjs"

/** A PCM WAV of `seconds` (a 440 Hz tone unless `silent`). */
export const wav = (seconds: number, options: { rate?: number; channels?: number; tone?: number } = {}): Buffer => {
  const rate = options.rate ?? 16000
  const channels = options.channels ?? 1
  const frames = Math.round(seconds * rate)
  const data = Buffer.alloc(frames * 2 * channels)
  const tone = options.tone ?? 440
  for (let i = 0; i < frames; i++) {
    const sample = Math.round(Math.sin((2 * Math.PI * tone * i) / rate) * 8000)
    for (let c = 0; c < channels; c++) data.writeInt16LE(sample, (i * channels + c) * 2)
  }
  return Buffer.concat([wavHeader(data.length, rate, channels), data])
}

export const wavHeader = (dataBytes: number, rate = 16000, channels = 1): Buffer =>
  sharedWavHeader(rate, dataBytes, channels)

export const dataUri = (bytes: Buffer, mime = "audio/wav"): string => `data:${mime};base64,${bytes.toString("base64")}`

/** Whether an executable of that name is on PATH. */
export const hasTool = (tool: string): boolean =>
  (process.env.PATH ?? "").split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, tool), fs.constants.X_OK)
      return true
    } catch {
      return false
    }
  })

/**
 * Whether every tool is installed. Locally a missing tool skips the tests that need it (with a warning); in CI
 * (`CI=true`) it fails the file, so a runner without ffmpeg cannot pass by skipping.
 */
export const requireTools = (file: string, ...tools: Array<string>): boolean => {
  const missing = tools.filter((tool) => !hasTool(tool))
  if (missing.length === 0) return true
  const message = `${file}: ${missing.join(", ")} missing`
  if (process.env.CI === "true") throw new Error(`${message}; CI=true requires them`)
  console.warn(`${message}, the tests that need them are skipped`)
  return false
}

export const tempDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "emulator-test-"))

/** Real encoded audio made with espeak-ng + ffmpeg: returns the path. */
export const encoded = (dir: string, ext: string, text = "hello from the emulator test"): string => {
  const source = path.join(dir, "speech.wav")
  if (!fs.existsSync(source)) execFileSync("espeak-ng", ["-w", source, text], { stdio: "ignore" })
  if (ext === "wav") return source
  const out = path.join(dir, `speech.${ext}`)
  const codec: Record<string, Array<string>> = {
    mp3: ["-c:a", "libmp3lame"],
    flac: ["-c:a", "flac"],
    ogg: ["-c:a", "libvorbis"],
    opus: ["-c:a", "libopus"],
    m4a: ["-c:a", "aac"],
    webm: ["-c:a", "libopus"],
    amr: ["-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb"],
    aac: ["-c:a", "aac", "-f", "adts"]
  }
  execFileSync("ffmpeg", ["-y", "-loglevel", "error", "-i", source, ...(codec[ext] ?? []), out], { stdio: "ignore" })
  return out
}

/** A 16 kHz mono WAV of tone bursts and silences, in order: `{ hz, ms }` is a tone, `{ ms }` silence. */
export const toneSequence = (parts: ReadonlyArray<{ readonly hz?: number; readonly ms: number }>, rate = 16000) => {
  const samples: Array<number> = []
  for (const part of parts) {
    const n = Math.round((part.ms / 1000) * rate)
    for (let i = 0; i < n; i++) {
      samples.push(part.hz === undefined ? 0 : Math.round(Math.sin((2 * Math.PI * part.hz * i) / rate) * 8000))
    }
  }
  const data = Buffer.alloc(samples.length * 2)
  samples.forEach((s, i) => data.writeInt16LE(s, i * 2))
  return Buffer.concat([wavHeader(data.length, rate, 1), data])
}
