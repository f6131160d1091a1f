/**
 * What the hostile-condition tests share: real audio made once, pipelines written per case, the
 * environment that points the binary at an emulator, and the checks every case makes (no stack trace,
 * no temporary file left, the good items written).
 */
import { assert } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { speak } from "./Audio.js"

/** Two short recordings of real speech (wav and mp3), and a WAV and an mp3 cut to 40 % of their bytes. */
export interface Clips {
  readonly wav: string
  readonly otherWav: string
  readonly mp3: string
  readonly cutWav: string
  readonly cutMp3: string
}

/** Makes the clips under `dir` (espeak-ng and ffmpeg). */
export const makeClips = (dir: string): Clips => {
  const wav = speak(path.join(dir, "clips/good.wav"), "The quarterly numbers look good this time.")
  const otherWav = speak(path.join(dir, "clips/other.wav"), "Please send the report by Friday afternoon.")
  const long = path.join(dir, "clips/long.wav")
  // eight seconds, so that a cut leaves seconds missing, not milliseconds
  execFileSync("sox", [wav, long, "pad", "0", "6"])
  const mp3 = speak(path.join(dir, "clips/good.mp3"), "An mp3 recording of the weekly meeting.")
  const longMp3 = path.join(dir, "clips/long.mp3")
  execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-i", long, "-ar", "16000", "-ac", "1", "-b:a", "32k", longMp3])
  const cut = (from: string, to: string) => {
    const bytes = fs.readFileSync(from)
    fs.writeFileSync(to, bytes.subarray(0, Math.floor(bytes.length * 0.4)))
    return to
  }
  return {
    wav,
    otherWav,
    mp3,
    cutWav: cut(long, path.join(dir, "clips/cut.wav")),
    cutMp3: cut(longMp3, path.join(dir, "clips/cut.mp3"))
  }
}

/** A pipeline file: `sources` and `provider` are YAML lines (indented as list items / block keys). */
export const writePipeline = (
  dir: string,
  sources: ReadonlyArray<string>,
  options: { readonly provider?: ReadonlyArray<string>; readonly extra?: ReadonlyArray<string> } = {}
): string => {
  const file = path.join(dir, "pipeline.yaml")
  fs.writeFileSync(
    file,
    [
      "version: 1",
      "sources:",
      ...sources,
      "concurrency: 2",
      "provider:",
      "  type: qwen",
      "  rate_limit: { requests_per_minute: 6000 }",
      "  retry: { attempts: 3, initial_backoff_ms: 20, max_backoff_ms: 100, jitter: false }",
      "  poll: { initial_interval_ms: 50, max_interval_ms: 200, timeout_secs: 60 }",
      ...(options.provider ?? []),
      ...(options.extra ?? []),
      "sinks:",
      "  - type: text",
      "  - type: jsonl",
      ""
    ].join("\n")
  )
  return file
}

/** Every `*.tmp` file under `root`, relative. */
export const tempFilesUnder = (root: string): Array<string> =>
  fs.existsSync(root)
    ? fs.readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(".tmp"))
      .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    : []

/** Fails when `text` holds a stack trace or the CLI's internal-error banner. */
export const assertNoStackTrace = (text: string, label: string) => {
  assert.notMatch(text, /^\s+at .+(\(|\s)\S+:\d+:\d+\)?$/m, `${label}: a stack trace was shown`)
  assert.notInclude(text, "internal error", label)
}
