/**
 * The stamps (size, mtime, inode) of many local files at once: a resumed run asks for a chunk of its listing
 * together (`KnownFiles`).
 *
 * Any `FileSystem` tells them a file at a time, each `stat` a round trip through the platform's thread pool
 * with its own effects around it. A platform that can ask for many at once (Node's `stat`, all started
 * together) gives this service at the edge; without it, the files are asked `statsAtOnce` at a time.
 *
 * @since 0.3.0
 */
import { FileSystem } from "@effect/platform"
import { Context, Effect, Option } from "effect"
import type { FileStamp } from "./LedgerRecords.js"

/**
 * @since 0.3.0
 * @category context
 */
export class FileStamps extends Context.Tag("@asrflow/core/FileStamps")<FileStamps, {
  /**
   * The stamp of each path, in order, as the platform's `FileSystem.stat` gives it (mtime in whole
   * milliseconds); undefined for what is not a regular file, or cannot be read.
   */
  readonly stamps: (paths: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<FileStamp | undefined>>
}>() {}

/**
 * A file's stamp from what the platform's `FileSystem.stat` gave (mtime in whole milliseconds); undefined where
 * the platform knows no mtime or inode.
 *
 * @since 0.3.0
 * @category constructors
 */
export const fromInfo = (path: string, info: FileSystem.File.Info): FileStamp | undefined =>
  Option.isNone(info.mtime) || Option.isNone(info.ino) ? undefined : {
    path,
    sizeBytes: Number(info.size),
    mtimeMs: info.mtime.value.getTime(),
    inode: String(info.ino.value)
  }

/**
 * How many files the platform's `FileSystem` is asked about at once, without the service.
 *
 * @since 0.3.0
 * @category constants
 */
export const statsAtOnce = 16

/**
 * The stamps of `paths`, from the service when the edge gives one, from the platform's `FileSystem` otherwise.
 *
 * @since 0.3.0
 * @category constructors
 */
export const stampsOf = (
  paths: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<FileStamp | undefined>, never, FileSystem.FileSystem> =>
  Effect.flatMap(
    Effect.serviceOption(FileStamps),
    (service) =>
      Option.isSome(service) ?
        service.value.stamps(paths) :
        Effect.flatMap(FileSystem.FileSystem, (fs) =>
          Effect.forEach(paths, (path) =>
            Effect.match(fs.stat(path), {
              onFailure: () => undefined,
              onSuccess: (info) => info.type === "File" ? fromInfo(path, info) : undefined
            }), { concurrency: statsAtOnce }))
  )
