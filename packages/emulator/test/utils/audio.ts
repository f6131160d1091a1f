import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

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

export const wavHeader = (dataBytes: number, rate = 16000, channels = 1): Buffer => {
  const h = Buffer.alloc(44)
  h.write("RIFF", 0)
  h.writeUInt32LE(Math.min(0xffffffff, 36 + dataBytes), 4)
  h.write("WAVE", 8)
  h.write("fmt ", 12)
  h.writeUInt32LE(16, 16)
  h.writeUInt16LE(1, 20)
  h.writeUInt16LE(channels, 22)
  h.writeUInt32LE(rate, 24)
  h.writeUInt32LE(rate * 2 * channels, 28)
  h.writeUInt16LE(2 * channels, 32)
  h.writeUInt16LE(16, 34)
  h.write("data", 36)
  h.writeUInt32LE(dataBytes, 40)
  return h
}

export const dataUri = (bytes: Buffer, mime = "audio/wav"): string => `data:${mime};base64,${bytes.toString("base64")}`

const hasTool = (tool: string): boolean => {
  try {
    execFileSync("which", [tool], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/** Whether this is a CI run (`CI` set to anything but empty, `0` or `false`). */
const isCi = (): boolean => !["", "0", "false"].includes(process.env.CI ?? "")

/**
 * Whether every tool that real-audio tests need is on PATH. Outside CI a missing tool skips those tests
 * with a warning; in CI it throws, so the suite fails instead of passing without them (`.ci/run` installs
 * the tools).
 */
export const toolsAvailable = (testFile: string, tools: ReadonlyArray<string>): boolean => {
  const missing = tools.filter((tool) => !hasTool(tool))
  if (missing.length === 0) return true
  const message = `${testFile}: ${missing.join(", ")} not found on PATH`
  if (isCi()) throw new Error(`${message}; CI must run the real-audio tests (.ci/run installs the tools)`)
  console.warn(`${message}; its real-audio tests are skipped`)
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
