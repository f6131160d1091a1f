/**
 * An item's identity for the ledger: the audio's sha256 (bytes for local files, the URL otherwise)
 * plus a hash of the effective request and the output key, so a changed option transcribes again and
 * two copies of the same audio under different names each get their outputs.
 *
 * @since 0.1.0
 */
import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Option } from "effect"
import { createHash } from "node:crypto"
import { AudioItem } from "./AudioItem.js"
import * as FileStamps from "./FileStamps.js"
import type { FileStamp } from "./LedgerRecords.js"

/** Files up to this size are read at once; larger ones are streamed. */
const readWholeBytes = 8 * 1024 * 1024

/**
 * The sha256 of a local file. A small one (`sizeBytes` known and at most 8 MiB) is read at once, which
 * costs far less than a loop of reads; a large one is read through one reused 1 MiB buffer, so memory stays
 * flat (a stream of fresh chunks leaves about a third of a 2-hour WAV in buffers waiting to be collected).
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
      : Effect.scoped(Effect.gen(function*() {
        const file = yield* fs.open(path, { flag: "r" })
        const hash = createHash("sha256")
        const buffer = new Uint8Array(1024 * 1024)
        for (let read = Number(yield* file.read(buffer)); read > 0; read = Number(yield* file.read(buffer))) {
          hash.update(buffer.subarray(0, read))
        }
        return hash.digest("hex")
      })))

/**
 * @since 0.1.0
 * @category constructors
 */
export const sha256OfText = (text: string): string => createHash("sha256").update(text).digest("hex")

/**
 * Where the content hashes of local files are remembered between runs (the ledger).
 *
 * @since 0.2.0
 * @category models
 */
export interface HashMemory {
  readonly knownHash: (stamp: FileStamp) => Effect.Effect<Option.Option<string>>
  readonly rememberHash: (stamp: FileStamp, sha256: string) => Effect.Effect<void>
}

/**
 * The sha256 of a local file, reused from `memory` while the file's size, mtime and inode are unchanged
 * (a resumed run over many files then reads none of them again), computed and remembered otherwise.
 *
 * @since 0.2.0
 * @category constructors
 */
export const sha256OfFileRemembered = (
  path: string,
  memory: HashMemory
): Effect.Effect<string, PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(path)
    const sizeBytes = Number(info.size)
    const stamp = FileStamps.fromInfo(path, info)
    if (stamp === undefined) return yield* sha256OfFile(path, sizeBytes)
    const known = yield* memory.knownHash(stamp)
    if (Option.isSome(known)) return known.value
    const sha256 = yield* sha256OfFile(path, sizeBytes)
    yield* memory.rememberHash(stamp, sha256)
    return sha256
  })

/**
 * Sets `sha256` and `fingerprint` on an item. With a `memory`, an unchanged local file is not read again.
 * With `bytes` (the whole file, as the probe just read it), those are hashed: no stat, no lookup, no read.
 *
 * @since 0.1.0
 * @category constructors
 */
export const apply = (
  item: AudioItem,
  requestKey: string,
  memory?: HashMemory | undefined,
  bytes?: Uint8Array | undefined
): Effect.Effect<AudioItem, PlatformError, FileSystem.FileSystem> =>
  Effect.map(
    item.isLocal
      ? bytes !== undefined
        ? Effect.succeed(createHash("sha256").update(bytes).digest("hex"))
        : memory === undefined
        ? sha256OfFile(item.source, item.sizeBytes)
        : sha256OfFileRemembered(item.source, memory)
      : Effect.succeed(sha256OfText(item.source)),
    (sha256) => withSha256(item, requestKey, sha256)
  )

/**
 * `apply` with the file system given. A local file whose bytes are at hand (the probe read it whole) is hashed
 * with no effect of its own: a run fingerprints every item.
 *
 * @since 0.3.0
 * @category constructors
 */
export const applyWith = (
  fs: FileSystem.FileSystem,
  item: AudioItem,
  requestKey: string,
  memory?: HashMemory | undefined,
  bytes?: Uint8Array | undefined
): Effect.Effect<AudioItem, PlatformError> =>
  bytes !== undefined && item.isLocal
    ? Effect.succeed(withSha256(item, requestKey, createHash("sha256").update(bytes).digest("hex")))
    : Effect.provideService(apply(item, requestKey, memory), FileSystem.FileSystem, fs)

/**
 * Sets `sha256` (known already, e.g. remembered by the ledger) and the `fingerprint` it makes with the request.
 *
 * @since 0.3.0
 * @category constructors
 */
export const withSha256 = (item: AudioItem, requestKey: string, sha256: string): AudioItem =>
  // a valid item plus two hashes: not validated again
  new AudioItem({
    ...item,
    sha256,
    fingerprint: `${sha256}.${sha256OfText(`${requestKey}\u0000${item.outputKey}`).slice(0, 16)}`
  }, true)
