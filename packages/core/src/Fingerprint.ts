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

/**
 * The sha256 of a local file, streamed, so memory stays flat for large files.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sha256OfFile = (path: string): Effect.Effect<string, PlatformError, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    fs.stream(path, { chunkSize: FileSystem.MiB(1) }).pipe(
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
    item.isLocal ? sha256OfFile(item.source) : Effect.succeed(sha256OfText(item.source)),
    (sha256) =>
      new AudioItem({
        ...item,
        sha256,
        fingerprint: `${sha256}.${sha256OfText(`${requestKey}\u0000${item.outputKey}`).slice(0, 16)}`
      })
  )
