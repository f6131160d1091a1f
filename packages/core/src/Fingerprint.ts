/**
 * An item's identity for the ledger: the audio's sha256 (bytes for local files, the URL otherwise)
 * plus a hash of the effective request and the output key, so a changed option transcribes again and
 * two copies of the same audio under different names each get their outputs.
 *
 * @since 0.1.0
 */
import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Stream } from "effect"
import { createHash } from "node:crypto"
import { AudioItem } from "./AudioItem.js"

/** Files up to this size are read at once; larger ones are streamed. */
const readWholeBytes = 8 * 1024 * 1024

/**
 * The sha256 of a local file. A large file is streamed in 1 MiB chunks, so memory stays flat; a small one
 * (`sizeBytes` known and at most 8 MiB) is read at once, which costs far less than a stream.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sha256OfFile = (
  path: string,
  sizeBytes?: number | undefined
): Effect.Effect<string, PlatformError, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    sizeBytes !== undefined && sizeBytes <= readWholeBytes
      ? Effect.map(fs.readFile(path), (bytes) => createHash("sha256").update(bytes).digest("hex"))
      : fs.stream(path, { chunkSize: FileSystem.MiB(1) }).pipe(
        Stream.runFold(createHash("sha256"), (hash, chunk) => hash.update(chunk)),
        Effect.map((hash) => hash.digest("hex"))
      ))

/**
 * @since 0.1.0
 * @category constructors
 */
export const sha256OfText = (text: string): string => createHash("sha256").update(text).digest("hex")

/**
 * Sets `sha256` and `fingerprint` on an item.
 *
 * @since 0.1.0
 * @category constructors
 */
export const apply = (
  item: AudioItem,
  requestKey: string
): Effect.Effect<AudioItem, PlatformError, FileSystem.FileSystem> =>
  Effect.map(
    item.isLocal ? sha256OfFile(item.source, item.sizeBytes) : Effect.succeed(sha256OfText(item.source)),
    (sha256) =>
      // a valid item plus two hashes: not validated again
      new AudioItem({
        ...item,
        sha256,
        fingerprint: `${sha256}.${sha256OfText(`${requestKey}\u0000${item.outputKey}`).slice(0, 16)}`
      }, true)
  )
