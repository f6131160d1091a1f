/**
 * Atomic file writes: a temp file in the target's directory, then a rename. A reader sees the old file,
 * no file, or the whole new file, never a part.
 *
 * @since 0.1.0
 */
import * as OutputCleanup from "@asrflow/core/OutputCleanup"
import { RunContext } from "@asrflow/core/RunContext"
import { SinkError } from "@asrflow/core/Sink"
import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Option } from "effect"
import { randomBytes } from "node:crypto"

const encoder = new TextEncoder()

/**
 * The temp name for a target: `.<name>.<run id>.<random>.tmp` (`OutputCleanup.tempName`), short enough for
 * any file name limit. The run id says which run owns it, so a later run can remove it if that run was
 * killed.
 *
 * @since 0.1.0
 * @category utils
 */
export const tempPathFor = (path: Path.Path, target: string, runId = "unowned"): string =>
  path.join(path.dirname(target), OutputCleanup.tempName(path.basename(target), runId, randomBytes(6).toString("hex")))

/**
 * A short, clear description of a platform error: what failed, on which path, why.
 *
 * @since 0.1.0
 * @category utils
 */
export const describe = (error: PlatformError): string =>
  error._tag === "SystemError"
    ? `${error.reason}${error.pathOrDescriptor !== undefined ? ` (${String(error.pathOrDescriptor)})` : ""}: ${
      error.description ?? error.message
    }`
    : error.message

/**
 * Creates the parent directories, writes `<dir>/.<name>.<run id>.<random>.tmp`, then renames it onto `target`.
 * On failure the temp file is removed and a `SinkError` names the target.
 *
 * `madeDirs` (a per-item sink's own set) remembers the directories already made, so that a sink writing one
 * file per item does not ask the file system to make the same directory for each of them (two system calls
 * per item); a remembered directory that is gone when the file is written is made again.
 *
 * @since 0.1.0
 * @category constructors
 */
export const writeFileAtomic = (
  sink: string,
  target: string,
  data: string | Uint8Array,
  madeDirs?: Set<string> | undefined
): Effect.Effect<void, SinkError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const run = yield* Effect.serviceOption(RunContext)
    return yield* writeWith({ fs, path, runId: Option.getOrUndefined(run)?.runId }, sink, target, data, madeDirs)
  })

/**
 * `writeFileAtomic` with its services given: a sink that writes a file per item looks them up once, not per
 * item.
 *
 * @since 0.3.0
 * @category constructors
 */
export const writeWith = (
  services: { readonly fs: FileSystem.FileSystem; readonly path: Path.Path; readonly runId?: string | undefined },
  sink: string,
  target: string,
  data: string | Uint8Array,
  madeDirs?: Set<string> | undefined
): Effect.Effect<void, SinkError> =>
  Effect.suspend(() => {
    const { fs, path } = services
    const dir = path.dirname(target)
    const makeDir = fs.makeDirectory(dir, { recursive: true }).pipe(
      Effect.mapError((cause) =>
        new SinkError({
          sink,
          reason: "Open",
          path: target,
          description: `cannot create the directory ${dir}: ${describe(cause)}`,
          cause
        })
      ),
      Effect.tap(() => Effect.sync(() => madeDirs?.add(dir)))
    )
    const remembered = madeDirs?.has(dir) === true
    const temp = tempPathFor(path, target, services.runId)
    const bytes = typeof data === "string" ? encoder.encode(data) : data
    const write = fs.writeFile(temp, bytes).pipe(
      Effect.zipRight(fs.rename(temp, target)),
      Effect.onError(() => fs.remove(temp).pipe(Effect.ignore))
    )
    const written = (remembered
      ? write.pipe(
        Effect.catchIf(
          (error) => error._tag === "SystemError" && error.reason === "NotFound",
          () => Effect.sync(() => madeDirs?.delete(dir)).pipe(Effect.zipRight(makeDir), Effect.zipRight(write))
        )
      )
      : write).pipe(
        Effect.mapError((cause) =>
          cause instanceof SinkError
            ? cause
            : new SinkError({ sink, reason: "Write", path: target, description: describe(cause), cause })
        )
      )
    return remembered ? written : Effect.zipRight(makeDir, written)
  })
