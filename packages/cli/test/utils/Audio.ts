import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

/** Speaks `text` with espeak-ng into a 16 kHz mono file in `format`, made with ffmpeg. */
export const speak = (file: string, text: string, voice = "en-us") => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const wav = `${file}.speech.wav`
  execFileSync("espeak-ng", ["-v", voice, "-w", wav, text])
  const ext = path.extname(file).slice(1)
  const codec: Record<string, Array<string>> = {
    wav: [],
    mp3: ["-b:a", "32k"],
    flac: ["-c:a", "flac"],
    ogg: ["-c:a", "libvorbis"],
    m4a: ["-c:a", "aac", "-b:a", "48k"]
  }
  execFileSync("ffmpeg", [
    "-loglevel",
    "error",
    "-y",
    "-i",
    wav,
    "-ar",
    "16000",
    "-ac",
    "1",
    ...(codec[ext] ?? []),
    file
  ])
  fs.rmSync(wav)
  return file
}

/** A 16 kHz mono WAV of `seconds` seconds: speech, then padded with silence by sox. */
export const longWav = (file: string, seconds: number, text = "This is a long recording.") => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const speech = `${file}.speech.wav`
  execFileSync("espeak-ng", ["-v", "en-us", "-w", speech, text])
  execFileSync("sox", [speech, "-r", "16000", "-c", "1", file, "pad", "0", String(seconds)])
  execFileSync("sox", [file, file + ".trim.wav", "trim", "0", String(seconds)])
  fs.renameSync(file + ".trim.wav", file)
  fs.rmSync(speech)
  return file
}
