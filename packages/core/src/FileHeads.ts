/**
 * A file's type, size and first bytes in one call: what a plan (`AudioProbe.probe`) needs of each row, and
 * what a run needs of a small file (all of its bytes, and its stamp).
 *
 * Through any `FileSystem` that takes a `stat` and then a read, each an effect of its own, and a handle's
 * read costs a scope, a finalizer and a lock: at 100,000 rows that is most of a dry run. A platform that
 * can open, look and read in one go (Node's callbacks) gives this service at the edge; without it, the
 * probe asks the `FileSystem`.
 *
 * @since 0.3.0
 */
import type { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import type { Effect } from "effect"
import { Context } from "effect"

/**
 * What `read` found: the file's type and size, and for a regular file its first bytes.
 *
 * @since 0.3.0
 * @category models
 */
export interface Head {
  readonly type: FileSystem.File.Type
  readonly size: number
  /** The first bytes of a regular file (fewer than asked if it ended first); empty for anything else. */
  readonly bytes: Uint8Array
  /**
   * The file's mtime in whole milliseconds and its inode, as the platform's `FileSystem.stat` gives them
   * (the ledger's stamp of the file), where the platform knows them.
   */
  readonly mtimeMs?: number | undefined
  readonly inode?: string | undefined
}

/**
 * @since 0.3.0
 * @category context
 */
export class FileHeads extends Context.Tag("@asrflow/core/FileHeads")<FileHeads, {
  /**
   * The type and size of `path` (links followed), and for a regular file as many of its first bytes as
   * `bytes` asks for its size. Never waits on a FIFO or a device; fails as the platform's `stat` would
   * (`NotFound`, `PermissionDenied`).
   */
  readonly read: (path: string, bytes: (size: number) => number) => Effect.Effect<Head, PlatformError>
}>() {}
