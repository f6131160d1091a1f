/**
 * Real audio made at test time with espeak-ng and ffmpeg, in a scoped temp directory.
 */
import { Command, FileSystem, Path } from "@effect/platform"
import type { CommandExecutor } from "@effect/platform"
import { Context, Effect, Layer } from "effect"
import type { Scope } from "effect"

export interface Audio {
  readonly dir: string
  /** Absolute paths by name (`wav`, `mp3`, ...); only formats this machine's ffmpeg can encode. */
  readonly files: Readonly<Record<string, string>>
  /** Formats whose encoder is missing here, with the reason. */
  readonly skipped: Readonly<Record<string, string>>
}

export class TestAudio extends Context.Tag("@asrflow/core/test/TestAudio")<TestAudio, Audio>() {}

const run = (command: string, ...args: Array<string>) =>
  Command.make(command, ...args).pipe(
    Command.exitCode,
    Effect.flatMap((code) =>
      code === 0 ? Effect.void : Effect.fail(new Error(`${command} ${args.join(" ")} exited ${code}`))
    )
  )

/** ffmpeg output arguments per format: [file name, ...codec args]. */
export const formats: Record<string, ReadonlyArray<string>> = {
  mp3: ["t.mp3", "-c:a", "libmp3lame", "-b:a", "64k"],
  mp3_bare: ["bare.mp3", "-c:a", "libmp3lame", "-b:a", "64k", "-id3v2_version", "0", "-write_xing", "0"],
  flac: ["t.flac", "-c:a", "flac"],
  ogg: ["t.ogg", "-c:a", "libvorbis"],
  opus: ["t.opus", "-c:a", "libopus", "-b:a", "32k"],
  m4a: ["t.m4a", "-c:a", "aac", "-b:a", "64k"],
  webm: ["t.webm", "-c:a", "libopus", "-b:a", "32k"],
  aac: ["t.aac", "-c:a", "aac", "-b:a", "64k", "-f", "adts"],
  amr: ["t.amr", "-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb", "-b:a", "12.2k"]
}

export const make = (
  text = "hello world, this is a test of the audio probe"
): Effect.Effect<
  Audio,
  Error,
  FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor | Scope.Scope
> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "asrflow-audio-" }).pipe(Effect.orDie)
    const wav = path.join(dir, "t.wav")
    yield* run("espeak-ng", "-w", wav, text)
    const files: Record<string, string> = { wav }
    const skipped: Record<string, string> = {}
    const encoders = yield* Command.make("ffmpeg", "-hide_banner", "-encoders").pipe(Command.string)
    for (const [name, [file, ...args]] of Object.entries(formats)) {
      const codec = args[args.indexOf("-c:a") + 1]
      if (!new RegExp(`\\s${codec}\\s`).test(encoders)) {
        skipped[name] = `ffmpeg on this machine has no ${codec} encoder`
        continue
      }
      const out = path.join(dir, file)
      yield* run("ffmpeg", "-v", "error", "-y", "-i", wav, ...args, out)
      files[name] = out
    }
    return { dir, files, skipped }
  })

export const layer: Layer.Layer<TestAudio, Error, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =
  Layer.scoped(TestAudio, make())

/** The duration ffprobe reports, in ms. */
export const ffprobeMs = (file: string) =>
  Command.make("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file).pipe(
    Command.string,
    Effect.map((out) => Math.round(Number.parseFloat(out.trim()) * 1000))
  )
