/**
 * Probes local audio files: size, container (from magic bytes, never from the extension alone), MIME
 * type and duration. URL items pass through unchanged (no network).
 *
 * Duration comes from `music-metadata`, falling back to `ffprobe` when that finds none; when neither
 * can tell, the duration stays unknown (that is not a failure). A `.pcm` file is raw audio: its
 * container comes from the extension and it has no MIME type or duration.
 *
 * @since 0.1.0
 */
import { Command, CommandExecutor, FileSystem } from "@effect/platform"
import { Effect, Option, Schema, Stream } from "effect"
import { parseWebStream } from "music-metadata"
import * as AudioFormat from "./AudioFormat.js"
import type { Container } from "./AudioItem.js"
import { AudioItem } from "./AudioItem.js"
import * as Keys from "./internal/keys.js"

/**
 * Why a file cannot be transcribed.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProbeError extends Schema.TaggedError<ProbeError>("@asrflow/core/ProbeError")("ProbeError", {
  item: AudioItem,
  reason: Schema.Literal("Unreadable", "Empty", "NotAudio", "Unsupported"),
  description: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `${this.item.source}: ${this.description}`
  }
}

const supported = "wav, mp3, flac, ogg (Vorbis or Opus), m4a/mp4, webm, amr, aac (ADTS) or raw .pcm"

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes.subarray(0, 8), (byte) => byte.toString(16).padStart(2, "0")).join(" ")

/**
 * The duration in ms reported by `ffprobe`, if it is installed and can tell.
 *
 * @since 0.1.0
 * @category utils
 */
export const ffprobeDurationMs = (
  file: string
): Effect.Effect<number | undefined, never, CommandExecutor.CommandExecutor> =>
  Command.make("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file).pipe(
    Command.string,
    Effect.map((out) => {
      const seconds = Number.parseFloat(out.trim())
      return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : undefined
    }),
    Effect.orElseSucceed(() => undefined)
  )

/**
 * @since 0.1.0
 * @category context
 */
export class AudioProbe extends Effect.Service<AudioProbe>()("@asrflow/core/AudioProbe", {
  accessors: true,
  effect: Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const executor = yield* Effect.serviceOption(CommandExecutor.CommandExecutor)

    // the first bytes, and when an ID3 tag is larger than them, the bytes after the tag too
    const readHeader = (file: string, size: number) =>
      Effect.scoped(Effect.gen(function*() {
        const handle = yield* fs.open(file, { flag: "r" })
        const head = Option.getOrElse(yield* handle.readAlloc(AudioFormat.headerBytes), () => new Uint8Array())
        const id3 = AudioFormat.id3Size(head)
        if (id3 === 0 || id3 + 4 <= head.length || id3 + 4 > size) return { head, afterId3: undefined }
        yield* handle.seek(FileSystem.Size(id3), "start")
        const after = Option.getOrUndefined(yield* handle.readAlloc(AudioFormat.headerBytes))
        return { head, afterId3: after }
      }))

    const metadataDurationMs = (file: string, size: number, mimeType: string | undefined) =>
      Effect.gen(function*() {
        const readable = yield* Stream.toReadableStreamEffect(fs.stream(file))
        const metadata = yield* Effect.tryPromise(() =>
          parseWebStream(readable, mimeType === undefined ? { size } : { size, mimeType }, {
            duration: true,
            skipCovers: true
          })
        ).pipe(Effect.ensuring(Effect.promise(() => readable.cancel().catch(() => undefined))))
        const seconds = metadata.format.duration
        return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : undefined
      }).pipe(Effect.orElseSucceed(() => undefined))

    const durationMs = (
      file: string,
      size: number,
      container: Container,
      mime: string | undefined,
      head: Uint8Array
    ) =>
      Effect.gen(function*() {
        if (container === "pcm") return undefined
        // a plain WAV says its duration in its header: no need to parse the file again
        const fromHeader = container === "wav" ? AudioFormat.wavDurationMs(head, size) : undefined
        if (fromHeader !== undefined) return fromHeader
        const fromMetadata = yield* metadataDurationMs(file, size, mime)
        if (fromMetadata !== undefined || Option.isNone(executor)) return fromMetadata
        return yield* ffprobeDurationMs(file).pipe(
          Effect.provideService(CommandExecutor.CommandExecutor, executor.value)
        )
      })

    const probe = Effect.fn("AudioProbe.probe")(function*(item: AudioItem) {
      if (item.kind !== "file") return item
      const file = item.source
      const fail = (reason: ProbeError["reason"], description: string, cause?: unknown) =>
        new ProbeError({ item, reason, description, cause })
      const info = yield* fs.stat(file).pipe(
        Effect.mapError((error) =>
          error._tag === "SystemError" && error.reason === "NotFound" ?
            fail("Unreadable", "the file does not exist (was it moved or deleted?)", error) :
            fail("Unreadable", `cannot read the file (${error.message}); check its permissions`, error)
        )
      )
      if (info.type !== "File") {
        return yield* fail("Unreadable", `not a regular file (${info.type}); point the source at audio files`)
      }
      const size = Number(info.size)
      if (size === 0) return yield* fail("Empty", "the file is empty (0 bytes); re-export or remove it")
      const { afterId3, head } = yield* readHeader(file, size).pipe(
        Effect.mapError((error) => fail("Unreadable", `cannot read the file (${error.message})`, error))
      )
      const extension = Keys.extensionOf(file)
      const sniffed = yield* AudioFormat.detect(afterId3 ?? head)
      // audio behind a large ID3 tag that is no known container is still the MP3 the tag announces
      const container: Container | undefined = sniffed ?? (afterId3 !== undefined ? "mp3" : undefined) ??
        (extension === "pcm" ? "pcm" : undefined)
      if (container === undefined) {
        return yield* fail(
          "NotAudio",
          `not a recognised audio file (first bytes: ${
            hex(head)
          }); supported: ${supported}. Convert it with ffmpeg or exclude it`
        )
      }
      const mime = AudioFormat.mimeOf(container)
      const duration = yield* durationMs(file, size, container, mime, head)
      // a valid item plus probed facts: validating it again costs more than the probe itself
      return new AudioItem({ ...item, sizeBytes: size, container, mime, durationMs: duration }, true)
    })

    return { probe } as const
  })
}) {}
