import { AudioItem } from "@asrflow/core/AudioItem"
import { afterAll } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

export type Format = "wav" | "mp3" | "flac" | "ogg" | "m4a"

const mimes: Record<Format, string> = {
  wav: "audio/wav",
  mp3: "audio/mpeg",
  flac: "audio/flac",
  ogg: "audio/ogg",
  m4a: "audio/mp4"
}

const codecArgs: Record<Format, ReadonlyArray<string>> = {
  wav: [],
  mp3: ["-c:a", "libmp3lame", "-b:a", "32k"],
  flac: ["-c:a", "flac"],
  ogg: ["-c:a", "libvorbis"],
  m4a: ["-c:a", "aac", "-b:a", "32k"]
}

/** Speech synthesised with espeak-ng, converted with ffmpeg. */
export const speech = (dir: string, name: string, text: string, format: Format): string => {
  const wav = path.join(dir, `${name}.src.wav`)
  execFileSync("espeak-ng", ["-v", "en", "-w", wav, text])
  const out = path.join(dir, `${name}.${format}`)
  execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-i", wav, ...codecArgs[format], out])
  return out
}

/** A tone of the given length (long files, cheaply). */
export const tone = (dir: string, name: string, seconds: number, format: Format): string => {
  const out = path.join(dir, `${name}.${format}`)
  execFileSync("ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `sine=frequency=440:duration=${seconds}:sample_rate=8000`,
    "-ac",
    "1",
    ...codecArgs[format],
    out
  ])
  return out
}

export const durationMs = (file: string): number =>
  Math.round(
    Number(
      execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file]).toString()
        .trim()
    ) * 1000
  )

/** A local item with what core's probe would find in it. */
export const localItem = (
  file: string,
  found: Pick<AudioItem, "container" | "mime" | "durationMs" | "overrides">
): AudioItem =>
  new AudioItem({
    id: path.basename(file),
    source: file,
    kind: "file",
    outputKey: path.basename(file, path.extname(file)),
    origin: "test",
    sizeBytes: fs.statSync(file).size,
    ...found
  })

/** A probed local item, as core's probe would produce it. */
export const item = (file: string, overrides?: AudioItem["overrides"]): AudioItem => {
  const format = path.extname(file).slice(1) as Format
  return localItem(file, {
    container: format,
    mime: mimes[format],
    durationMs: durationMs(file),
    ...(overrides !== undefined ? { overrides } : {})
  })
}

/**
 * A temp dir for one test file, removed after its last test whatever the outcome. Call it at module level
 * (it registers an `afterAll` hook).
 */
export const tempDir = (prefix = "asrflow-providers-"): string => {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), prefix))
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}
