/**
 * A resumed run's cheap check. The ledger remembers, per local file, its content hash and what the probe
 * found it to be, under the file's size, mtime and inode; while those are unchanged, a file is the same
 * item it was, so whether it is done is one `stat` and two lookups away: no open, no read, no hash.
 *
 * The facts are those of the probe that read the file: a later probe that would measure the same bytes
 * differently (ffprobe installed since, say) is not asked while the stamp holds.
 *
 * @since 0.3.0
 */
import { FileSystem } from "@effect/platform"
import { Effect, Option } from "effect"
import { AudioItem } from "./AudioItem.js"
import * as Fingerprint from "./Fingerprint.js"
import type { Ledger } from "./Ledger.js"
import type { FileFacts, FileStamp } from "./LedgerRecords.js"

/**
 * What the ledger keeps of a probed item (its size is in the stamp).
 *
 * @since 0.3.0
 * @category utils
 */
export const factsOf = (item: AudioItem): FileFacts | undefined =>
  item.container === undefined
    ? undefined
    : { container: item.container, mime: item.mime, durationMs: item.durationMs }

/**
 * Remembers a probed and fingerprinted local file under the stamp the probe read it with.
 *
 * @since 0.3.0
 * @category constructors
 */
export const remember = (
  ledger: Ledger["Type"],
  stamp: FileStamp | undefined,
  item: AudioItem
): Effect.Effect<void> =>
  stamp === undefined || item.sha256 === undefined || !item.isLocal
    ? Effect.void
    : ledger.rememberFile(stamp, item.sha256, factsOf(item))

/**
 * The item as the probe and the fingerprint would make it, when its file is unchanged since the ledger
 * remembered it and the ledger has it done; `None` otherwise (the item then takes the whole path).
 *
 * @since 0.3.0
 * @category constructors
 */
export const knownDone = (
  ledger: Ledger["Type"],
  requestKey: (item: AudioItem) => string
) =>
(item: AudioItem): Effect.Effect<Option.Option<AudioItem>, never, FileSystem.FileSystem> =>
  !item.isLocal ? Effect.succeed(Option.none()) : Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* Effect.option(fs.stat(item.source))
    if (Option.isNone(info) || info.value.type !== "File") return Option.none()
    const { ino, mtime, size } = info.value
    if (Option.isNone(mtime) || Option.isNone(ino)) return Option.none()
    const known = yield* ledger.knownFile({
      path: item.source,
      sizeBytes: Number(size),
      mtimeMs: mtime.value.getTime(),
      inode: String(ino.value)
    })
    if (Option.isNone(known) || known.value.facts === undefined) return Option.none()
    // the fields come from an earlier probe of these very bytes: not validated again
    const probed = new AudioItem({ ...item, sizeBytes: Number(size), ...known.value.facts }, true)
    const fingerprinted = Fingerprint.withSha256(probed, requestKey(probed), known.value.sha256)
    const done = yield* ledger.isDone(fingerprinted.fingerprint!)
    return done ? Option.some(fingerprinted) : Option.none()
  })
