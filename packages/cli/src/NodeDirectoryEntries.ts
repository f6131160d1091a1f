/**
 * Node's typed directory listing (`readdir` with file types) as core's `DirectoryEntries`: the walk of a
 * `files` source then learns each entry's type with its name, one call per directory instead of a
 * `readLink` and a `stat` per file (bench/README.md, "scale").
 *
 * @since 0.3.0
 */
import { DirectoryEntries } from "@asrflow/core/DirectoryEntries"
import type { Entry } from "@asrflow/core/DirectoryEntries"
import { FileSystem } from "@effect/platform"
import { Effect, Layer } from "effect"
import type { Dirent } from "node:fs"
import { readdir } from "node:fs/promises"

const typeOf = (entry: Dirent): Entry["type"] =>
  entry.isFile()
    ? "File"
    : entry.isDirectory()
    ? "Directory"
    : entry.isSymbolicLink()
    ? "SymbolicLink"
    : entry.isFIFO()
    ? "FIFO"
    : entry.isSocket()
    ? "Socket"
    : entry.isCharacterDevice()
    ? "CharacterDevice"
    : entry.isBlockDevice()
    ? "BlockDevice"
    : "Unknown"

/**
 * @since 0.3.0
 * @category layers
 */
export const layer: Layer.Layer<DirectoryEntries, never, FileSystem.FileSystem> = Layer.effect(
  DirectoryEntries,
  Effect.map(FileSystem.FileSystem, (fs) =>
    DirectoryEntries.of({
      list: (directory) =>
        Effect.tryPromise(() => readdir(directory, { withFileTypes: true })).pipe(
          Effect.map((entries) => entries.map((entry): Entry => ({ name: entry.name, type: typeOf(entry) }))),
          // a listing that fails is asked of the platform again: it fails in the platform's own words (or,
          // if the directory came back meanwhile, lists names whose types the walk then reads itself)
          Effect.catchTag("UnknownException", () =>
            Effect.map(fs.readDirectory(directory), (names) => names.map((name): Entry => ({ name, type: "Unknown" }))))
        )
    }))
)
