/**
 * Finding ffmpeg, which the split route needs to decode any container and cut it into chunks: the
 * system's `ffmpeg` when it is on PATH, else the binary that the optional npm package
 * `@ffmpeg-installer/ffmpeg` carries inside itself (no download at install time), else one clear line
 * naming both ways to get it.
 *
 * @since 0.2.0
 */
import { Command } from "@effect/platform"
import type { CommandExecutor, Error as PlatformError } from "@effect/platform"
import { Chunk, Effect, Schema, Stream } from "effect"

/**
 * ffmpeg is missing, or it could not read or write some audio.
 *
 * @since 0.2.0
 * @category errors
 */
export class FfmpegError extends Schema.TaggedError<FfmpegError>("@asrflow/core/FfmpegError")("FfmpegError", {
  reason: Schema.Literal("NotFound", "Failed"),
  description: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.description
  }
}

/**
 * Where the binary came from.
 *
 * @since 0.2.0
 * @category models
 */
export interface Located {
  readonly path: string
  readonly from: "system" | "npm"
}

/**
 * The npm package that carries an ffmpeg binary (an optional dependency).
 *
 * @since 0.2.0
 * @category utils
 */
export const npmPackage = "@ffmpeg-installer/ffmpeg"

/**
 * The one line shown when neither ffmpeg exists.
 *
 * @since 0.2.0
 * @category utils
 */
export const notFoundMessage = "ffmpeg is needed to split long audio but was not found: install it on PATH " +
  `(apt-get install ffmpeg, brew install ffmpeg) or install the npm package ${npmPackage}`

const runs = (path: string) =>
  Command.make(path, "-hide_banner", "-version").pipe(
    Command.exitCode,
    Effect.map((code) => code === 0),
    Effect.orElseSucceed(() => false)
  )

/**
 * The binary of the npm package, if it is installed for this platform (its index throws otherwise).
 *
 * @since 0.2.0
 * @category utils
 */
export const fromNpm: Effect.Effect<string | undefined> = Effect.tryPromise(() => import("@ffmpeg-installer/ffmpeg"))
  .pipe(
    Effect.map((found) => (found.default ?? found).path),
    Effect.orElseSucceed(() => undefined)
  )

/**
 * Finds a working ffmpeg among candidates: the command on PATH, else the binary the npm package gives.
 *
 * @since 0.2.0
 * @category constructors
 */
export const locateFrom = (candidates: {
  readonly system: string
  readonly npm: Effect.Effect<string | undefined>
}): Effect.Effect<Located, FfmpegError, CommandExecutor.CommandExecutor> =>
  Effect.gen(function*() {
    if (yield* runs(candidates.system)) return { path: candidates.system, from: "system" } as const
    const bundled = yield* candidates.npm
    if (bundled !== undefined && (yield* runs(bundled))) return { path: bundled, from: "npm" } as const
    return yield* new FfmpegError({ reason: "NotFound", description: notFoundMessage })
  })

/**
 * Finds a working ffmpeg: the system's, else the npm package's.
 *
 * @since 0.2.0
 * @category constructors
 */
export const locate: Effect.Effect<Located, FfmpegError, CommandExecutor.CommandExecutor> = locateFrom({
  system: "ffmpeg",
  npm: fromNpm
})

/**
 * The last few lines of ffmpeg's stderr, for an error message.
 *
 * @since 0.2.0
 * @category utils
 */
export const tail = (stderr: ReadonlyArray<string>, lines = 3): string =>
  stderr.map((line) => line.trim()).filter((line) => line.length > 0).slice(-lines).join(" | ")

/**
 * ffmpeg could not be started at all.
 *
 * @since 0.2.0
 * @category constructors
 */
export const failedToStart = (cause: PlatformError.PlatformError): FfmpegError =>
  new FfmpegError({ reason: "Failed", description: `ffmpeg could not be started: ${cause.message}`, cause })

/**
 * Encodes `[startMs, endMs)` of `input` to a 16 kHz mono FLAC or Opus file at `output`.
 *
 * @since 0.2.0
 * @category utils
 */
export const encodeChunk = (
  ffmpeg: Located,
  params: {
    readonly input: string
    readonly output: string
    readonly startMs: number
    readonly endMs: number
    readonly format: "flac" | "opus"
  }
): Effect.Effect<void, FfmpegError, CommandExecutor.CommandExecutor> => {
  const codec = params.format === "flac"
    ? ["-c:a", "flac", "-f", "flac"]
    : ["-c:a", "libopus", "-b:a", "32k", "-compression_level", "5", "-f", "ogg"]
  const command = Command.make(
    ffmpeg.path,
    ...["-hide_banner", "-nostdin", "-v", "error", "-y"],
    ...["-ss", (params.startMs / 1000).toFixed(3), "-t", ((params.endMs - params.startMs) / 1000).toFixed(3)],
    ...["-i", params.input, "-vn", "-map", "0:a:0", "-ac", "1", "-ar", "16000"],
    ...codec,
    params.output
  )
  return Effect.scoped(Effect.gen(function*() {
    const child = yield* Command.start(command)
    const [stderr, code] = yield* Effect.all([
      child.stderr.pipe(Stream.decodeText(), Stream.splitLines, Stream.runCollect),
      child.exitCode
    ], { concurrency: 2 })
    if (code !== 0) {
      return yield* new FfmpegError({
        reason: "Failed",
        description: `ffmpeg could not encode ${params.startMs}-${params.endMs} ms of ${params.input}: ${
          tail(Chunk.toReadonlyArray(stderr))
        }`
      })
    }
  })).pipe(
    Effect.catchTags({
      SystemError: (cause) => failedToStart(cause),
      BadArgument: (cause) => failedToStart(cause)
    })
  )
}
