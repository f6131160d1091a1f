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
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Option, Schema, Stream } from "effect"
import { parseBuffer, parseWebStream } from "music-metadata"
import * as AudioFormat from "./AudioFormat.js"
import * as AudioIntegrity from "./AudioIntegrity.js"
import type { Container } from "./AudioItem.js"
import { AudioItem } from "./AudioItem.js"
import { FileHeads } from "./FileHeads.js"
import type { Head } from "./FileHeads.js"
import * as FileStamps from "./FileStamps.js"
import * as Keys from "./internal/keys.js"
import type { FileStamp } from "./LedgerRecords.js"

/**
 * Why a file cannot be transcribed.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProbeError extends Schema.TaggedError<ProbeError>("@asrflow/core/ProbeError")("ProbeError", {
  item: AudioItem,
  reason: Schema.Literal("Unreadable", "Empty", "NotAudio", "Unsupported", "Corrupt"),
  description: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `${this.item.source}: ${this.description}`
  }
}

const supported = "wav, mp3, flac, ogg (Vorbis or Opus), m4a/mp4, webm, amr, aac (ADTS) or raw .pcm"

/**
 * Files up to this size are read whole, once, for both the sniffer and the metadata parser: cheaper than
 * opening a handle and then streaming the file through a second one (a plan of many items stays fast).
 */
const smallFile = 1024 * 1024

/**
 * What `probe` reads whole rather than its first bytes: one read instead of a handle opened, read and
 * closed (which costs an item more than the read), and no more than the kernel's readahead brings in.
 */
const tinyFile = 64 * 1024

// the ledger's stamp of a file (docs/ARCHITECTURE.md, "The ledger"): from the call that read it, else its stat
const stampOf = (
  path: string,
  sizeBytes: number,
  found: Head | undefined,
  info: FileSystem.File.Info | undefined
): FileStamp | undefined =>
  found !== undefined
    ? found.mtimeMs === undefined || found.inode === undefined
      ? undefined
      : { path, sizeBytes, mtimeMs: found.mtimeMs, inode: found.inode }
    : info !== undefined
    ? FileStamps.fromInfo(path, info)
    : undefined

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

const corrupt = (announcedMs: number, actualMs: number): string =>
  `the file is cut off or corrupt: its header announces ${seconds(announcedMs)} of audio but it holds ${
    seconds(actualMs)
  }; nothing was sent (export or download it again)`

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
    const heads = Option.getOrUndefined(yield* Effect.serviceOption(FileHeads))

    // the first bytes, and when an ID3 tag is larger than them, the bytes after the tag too
    const readHead = (file: string, size: number) =>
      Effect.scoped(Effect.gen(function*() {
        const handle = yield* fs.open(file, { flag: "r" })
        const head = Option.getOrElse(yield* handle.readAlloc(AudioFormat.headerBytes), () => new Uint8Array())
        const id3 = AudioFormat.id3Size(head)
        if (id3 === 0 || id3 + 4 <= head.length || id3 + 4 > size) return { head, afterId3: undefined }
        yield* handle.seek(FileSystem.Size(id3), "start")
        const after = Option.getOrUndefined(yield* handle.readAlloc(AudioFormat.headerBytes))
        return { head, afterId3: after }
      }))
    // what a plan reads of a file: a tiny one whole, else its header; a run: a small one whole
    const planBytes = (size: number) => size <= tinyFile ? size : AudioFormat.headerBytes
    const runBytes = (size: number) => size <= smallFile ? size : AudioFormat.headerBytes
    // the bytes a plan read, and when an ID3 tag is larger than them, the bytes after the tag too
    const withTag = (file: string, size: number, head: Uint8Array) => {
      const id3 = AudioFormat.id3Size(head)
      return id3 === 0 || id3 + 4 <= head.length || id3 + 4 > size
        ? Effect.succeed({ head, afterId3: undefined })
        : readHead(file, size)
    }
    // a small file is read whole, which costs less than opening, reading and closing a handle
    const readHeader = (file: string, size: number) =>
      size <= smallFile
        ? Effect.map(fs.readFile(file), (head) => ({ head, afterId3: undefined }))
        : readHead(file, size)

    // a small file is parsed from memory; a WAV's length is in its header, so only its first MiB is read
    // (reading past it only leaves the whole file in buffers to collect)
    const metadataDurationMs = (
      file: string,
      size: number,
      mimeType: string | undefined,
      container: Container,
      whole?: Uint8Array
    ) =>
      Effect.gen(function*() {
        const info = mimeType === undefined ? { size } : { size, mimeType }
        const options = { duration: true, skipCovers: true }
        const metadata = whole !== undefined
          ? yield* Effect.tryPromise(() => parseBuffer(whole, info, options))
          : yield* Effect.flatMap(
            Stream.toReadableStreamEffect(
              fs.stream(file, container === "wav" ? { bytesToRead: FileSystem.MiB(1) } : undefined)
            ),
            (readable) =>
              Effect.tryPromise(() => parseWebStream(readable, info, options)).pipe(
                Effect.ensuring(Effect.promise(() => readable.cancel().catch(() => undefined)))
              )
          )
        const seconds = metadata.format.duration
        return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : undefined
      }).pipe(Effect.orElseSucceed(() => undefined))

    const durationMs = (
      file: string,
      size: number,
      container: Container,
      mime: string | undefined,
      whole: Uint8Array | undefined
    ) =>
      Effect.gen(function*() {
        if (container === "pcm") return undefined
        const fromMetadata = yield* metadataDurationMs(file, size, mime, container, whole)
        if (fromMetadata !== undefined || Option.isNone(executor)) return fromMetadata
        return yield* ffprobeDurationMs(file).pipe(
          Effect.provideService(CommandExecutor.CommandExecutor, executor.value)
        )
      })

    /**
     * The probed item, and the whole file when it was read whole (`whole`: a small file is, so the hash
     * need not read it again). `header` reads only the first bytes and answers from them what they
     * tell (a WAV's or FLAC's duration, a file no larger than them); otherwise `undefined`, and the
     * caller probes the file whole.
     */
    const examine = Effect.fnUntraced(function*(item: AudioItem, mode: "whole" | "header") {
      const file = item.source
      const fail = (reason: ProbeError["reason"], description: string, cause?: unknown) =>
        new ProbeError({ item, reason, description, cause })
      const unreadable = (error: PlatformError) =>
        error._tag === "SystemError" && error.reason === "NotFound" ?
          fail("Unreadable", "the file does not exist (was it moved or deleted?)", error) :
          fail("Unreadable", `cannot read the file (${error.message}); check its permissions`, error)
      // the type, size and first bytes (a small file's every byte, for a run) in one call where the edge gives one
      const found = heads !== undefined
        ? yield* heads.read(file, mode === "header" ? planBytes : runBytes).pipe(Effect.mapError(unreadable))
        : undefined
      const info = found === undefined ? yield* fs.stat(file).pipe(Effect.mapError(unreadable)) : undefined
      const type = found?.type ?? info!.type
      if (type !== "File") {
        return yield* fail("Unreadable", `not a regular file (${type}); point the source at audio files`)
      }
      const size = found?.size ?? Number(info!.size)
      if (size === 0) return yield* fail("Empty", "the file is empty (0 bytes); re-export or remove it")
      const { afterId3, head } = yield* (
        found !== undefined
          ? withTag(file, size, found.bytes)
          : mode === "header" && size > tinyFile
          ? readHead(file, size)
          : readHeader(file, size)
      ).pipe(Effect.mapError((error) => fail("Unreadable", `cannot read the file (${error.message})`, error)))
      // a small file read in part may tell less than read whole: what the header cannot settle is probed whole
      const partial = mode === "header" && size <= smallFile && head.length < size
      const extension = Keys.extensionOf(file)
      const sniffed = yield* AudioFormat.detect(afterId3 ?? head)
      // audio behind a large ID3 tag that is no known container is still the MP3 the tag announces
      const container: Container | undefined = sniffed ?? (afterId3 !== undefined ? "mp3" : undefined) ??
        (extension === "pcm" ? "pcm" : undefined)
      if (partial && (sniffed === undefined || afterId3 !== undefined)) return undefined
      if (container === undefined) {
        return yield* fail(
          "NotAudio",
          `not a recognised audio file (first bytes: ${
            hex(head)
          }); supported: ${supported}. Convert it with ffmpeg or exclude it`
        )
      }
      const mime = AudioFormat.mimeOf(container)
      // a WAV's durations are in its first bytes: no need to read the file, and a cut-off one shows here
      const wav = container === "wav" ? AudioIntegrity.wavDurations(head, size) : undefined
      if (wav !== undefined && AudioIntegrity.isShort(wav.announcedMs, wav.actualMs)) {
        return yield* fail("Corrupt", corrupt(wav.announcedMs, wav.actualMs))
      }
      const announced = wav?.announcedMs ??
        (mode === "header" && container === "flac" ? AudioFormat.flacDurationMs(head) : undefined)
      if (partial && announced === undefined) return undefined
      const whole = size <= smallFile && !partial ? head : undefined
      const duration = announced ?? (yield* durationMs(file, size, container, mime, whole))
      // the fields are known to be valid: skipping the schema check keeps a plan of many items fast
      return {
        item: new AudioItem({ ...item, sizeBytes: size, container, mime, durationMs: duration }, true),
        bytes: whole,
        stamp: stampOf(file, size, found, info)
      }
    })

    // the probed item, the whole file when the probe read it whole (so the hash need not read it again), and
    // the file's stamp (size, mtime, inode), under which the ledger remembers what the probe found; untraced,
    // as `verify`: the run's `asrflow.probe` span covers both, and a traced function captures a stack per call
    const inspect = Effect.fnUntraced(function*(item: AudioItem) {
      if (item.kind !== "file") return { item, bytes: undefined, stamp: undefined }
      return (yield* examine(item, "whole"))!
    })

    /**
     * The probed item from the file's first bytes where they tell enough (what a plan needs: container,
     * size, duration), else from the whole file as `inspect` reads it; the same answer either way.
     */
    const probe = (item: AudioItem): Effect.Effect<AudioItem, ProbeError> =>
      item.kind !== "file" ? Effect.succeed(item) : Effect.flatMap(
        examine(item, "header"),
        (examined) =>
          examined === undefined
            ? Effect.map(inspect(item), (inspected) => inspected.item)
            : Effect.succeed(examined.item)
      )

    /**
     * Before an item is sent: a compressed file whose readable audio falls short of the duration its
     * header announced is corrupt (needs ffmpeg; skipped without it). WAV was checked by `probe`.
     */
    const verify = Effect.fnUntraced(function*(item: AudioItem) {
      if (
        item.kind !== "file" || item.durationMs === undefined || item.container === "wav" ||
        item.container === "pcm" || Option.isNone(executor)
      ) return item
      const readable = yield* AudioIntegrity.readableDurationMs(item.source).pipe(
        Effect.provideService(CommandExecutor.CommandExecutor, executor.value)
      )
      const actual = Option.getOrUndefined(readable)
      if (actual !== undefined && AudioIntegrity.isShort(item.durationMs, actual)) {
        return yield* new ProbeError({ item, reason: "Corrupt", description: corrupt(item.durationMs, actual) })
      }
      return item
    })

    return { probe, inspect, verify } as const
  })
}) {}
