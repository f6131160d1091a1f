/**
 * Temporary files in an output root, and who owns them. Every file is written to a hidden temporary
 * name next to its target and renamed into place; the name carries the id of the run that writes it
 * (`.<name>.<run id>.<random>.tmp`). A run killed mid-write leaves its temporary file behind; the next
 * run removes every temporary file that no live run owns, as the ledger's runs table tells (never by
 * age: a slow run's files are not old, they are in use).
 *
 * @since 0.2.0
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect, Either } from "effect"

/**
 * The temporary name for a file written by a run: `.<name>.<run id>.<random>.tmp`, the name cut to 64
 * characters so that the whole stays within any file name limit.
 *
 * @since 0.2.0
 * @category constructors
 */
export const tempName = (target: string, runId: string, random: string): string => {
  const short = target.length > 64 ? target.slice(0, 64) : target
  return `.${short}.${runId.replace(/[^A-Za-z0-9_-]/g, "_")}.${random}.tmp`
}

/**
 * Whether a file name is a temporary file of a run.
 *
 * @since 0.2.0
 * @category guards
 */
export const isTemp = (name: string): boolean => name.startsWith(".") && name.endsWith(".tmp")

/**
 * The run id a temporary file name carries, or undefined for a name without one (written before runs
 * were recorded, or by something else).
 *
 * @since 0.2.0
 * @category utils
 */
export const ownerOf = (name: string): string | undefined => {
  if (!isTemp(name)) return undefined
  const parts = name.slice(1, -".tmp".length).split(".")
  const owner = parts.length >= 3 ? parts[parts.length - 2] : undefined
  return owner !== undefined && /^[A-Za-z0-9_-]+$/.test(owner) ? owner : undefined
}

/**
 * Removes every temporary file under `root` whose owner is not live. Returns the paths removed
 * (relative to `root`); a file that cannot be listed or removed is left as it is.
 *
 * @since 0.2.0
 * @category constructors
 */
export const removeStale = (
  root: string,
  isLive: (owner: string) => boolean
): Effect.Effect<ReadonlyArray<string>, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const listed = yield* Effect.either(fs.readDirectory(root, { recursive: true }))
    if (Either.isLeft(listed)) return []
    const stale = listed.right.filter((rel) => {
      const name = path.basename(rel)
      if (!isTemp(name)) return false
      const owner = ownerOf(name)
      return owner === undefined || !isLive(owner)
    })
    const removed = yield* Effect.forEach(
      stale,
      (rel) => fs.remove(path.join(root, rel)).pipe(Effect.as([rel]), Effect.orElseSucceed(() => [])),
      { concurrency: 8 }
    )
    return removed.flat()
  })
