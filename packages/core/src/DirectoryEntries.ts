/**
 * What a directory holds, each entry with its type: the walk of a `files` source asks once per directory.
 *
 * Any `FileSystem` can tell an entry's type only by asking about each name (`readLink`, then `stat`), two
 * calls per file of a 100,000-file folder. A platform that lists types with the names (Node's `readdir`
 * with file types) gives this service at the edge; without it, the walk asks per name.
 *
 * @since 0.3.0
 */
import type { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import type { Effect } from "effect"
import { Context } from "effect"

/**
 * One entry of a directory. `Unknown` means "ask": the walk then reads the name's type itself (and so
 * follows a symbolic link, as it does for `SymbolicLink`).
 *
 * @since 0.3.0
 * @category models
 */
export interface Entry {
  readonly name: string
  readonly type: FileSystem.File.Type
}

/**
 * @since 0.3.0
 * @category context
 */
export class DirectoryEntries extends Context.Tag("@asrflow/core/DirectoryEntries")<DirectoryEntries, {
  /** The entries of `directory`, in no particular order; fails as the platform's `readDirectory` would. */
  readonly list: (directory: string) => Effect.Effect<ReadonlyArray<Entry>, PlatformError>
}>() {}
