/**
 * A resumed run's cheap check. The ledger remembers, per local file, its content hash and what the probe
 * found it to be, under the file's size, mtime and inode; while those are unchanged, a file is the same
 * item it was, so whether it is done is one `stat` and two lookups away: no open, no read, no hash. A chunk of
 * the listing is checked at once (its stats together, two ledger statements for the whole chunk).
 *
 * The facts are those of the probe that read the file: a later probe that would measure the same bytes
 * differently (ffprobe installed since, say) is not asked while the stamp holds.
 *
 * @since 0.3.0
 */
import type { FileSystem } from "@effect/platform"
import { Effect } from "effect"
import { AudioItem } from "./AudioItem.js"
import * as FileStamps from "./FileStamps.js"
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
 * For each item, in order: the item as the probe and the fingerprint would make it, when its file is unchanged
 * since the ledger remembered it and the ledger has it done; undefined otherwise (the item then takes the whole
 * path). A chunk of items costs a `stat` per file and a few ledger statements, whatever its size.
 *
 * @since 0.3.0
 * @category constructors
 */
export const knownDone = (
  ledger: Ledger["Type"],
  requestKey: (item: AudioItem) => string
) =>
(items: ReadonlyArray<AudioItem>): Effect.Effect<ReadonlyArray<AudioItem | undefined>, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const local = items.flatMap((item, index) => item.isLocal ? [index] : [])
    const stamps = yield* FileStamps.stampsOf(local.map((index) => items[index]!.source))
    const stamped = local.flatMap((index, at) => {
      const stamp = stamps[at]
      return stamp === undefined ? [] : [{ index, stamp }]
    })
    const files = stamped.length === 0 ? [] : yield* ledger.knownFiles(stamped.map(({ stamp }) => stamp))
    const candidates = stamped.flatMap(({ index, stamp }, at) => {
      const file = files[at]
      if (file?.facts === undefined) return []
      // the fields come from an earlier probe of these very bytes: not validated again
      const probed = new AudioItem({ ...items[index]!, sizeBytes: stamp.sizeBytes, ...file.facts }, true)
      return [{ index, item: Fingerprint.withSha256(probed, requestKey(probed), file.sha256) }]
    })
    const done = candidates.length === 0
      ? new Set<string>()
      : yield* ledger.doneAmong(candidates.map(({ item }) => item.fingerprint!))
    const known: Array<AudioItem | undefined> = items.map(() => undefined)
    for (const { index, item } of candidates) if (done.has(item.fingerprint!)) known[index] = item
    return known
  })
