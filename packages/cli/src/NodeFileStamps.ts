/**
 * Node's `stat` as core's `FileStamps`: a chunk's files are all asked at once, one callback each, and answered
 * together, instead of an effect and a thread-pool round trip per file one after another (bench/README.md,
 * "scale": a resumed run stats every listed file).
 *
 * @since 0.3.0
 */
import { FileStamps } from "@asrflow/core/FileStamps"
import type { FileStamp } from "@asrflow/core/Ledger"
import { Effect, Layer } from "effect"
import { stat } from "node:fs"

/**
 * @since 0.3.0
 * @category layers
 */
export const layer: Layer.Layer<FileStamps> = Layer.succeed(
  FileStamps,
  FileStamps.of({
    stamps: (paths) =>
      Effect.async<ReadonlyArray<FileStamp | undefined>>((resume) => {
        const stamps: Array<FileStamp | undefined> = paths.map(() => undefined)
        let waiting = paths.length
        if (waiting === 0) return resume(Effect.succeed(stamps))
        paths.forEach((path, index) =>
          stat(path, (error, info) => {
            // as the platform's FileSystem.stat reads them: the mtime as a Date (whole milliseconds)
            if (error === null && info.isFile()) {
              stamps[index] = { path, sizeBytes: info.size, mtimeMs: info.mtime.getTime(), inode: String(info.ino) }
            }
            if (--waiting === 0) resume(Effect.succeed(stamps))
          })
        )
      })
  })
)
