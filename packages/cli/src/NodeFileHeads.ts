/**
 * Node's file calls as core's `FileHeads`: open, fstat, read and close chained as callbacks inside one
 * effect, instead of a `stat` and a handle's scope, finalizer and lock per file. A dry run of 100,000
 * manifest rows probes each row this way (bench/README.md, "scale").
 *
 * @since 0.3.0
 */
import { FileHeads } from "@asrflow/core/FileHeads"
import type { Head } from "@asrflow/core/FileHeads"
import { SystemError } from "@effect/platform/Error"
import type { SystemErrorReason } from "@effect/platform/Error"
import { Effect, Layer } from "effect"
import * as NFS from "node:fs"

// opened without blocking: a FIFO would otherwise hold a pool thread until a writer came (no effect on files)
const openFlags = NFS.constants.O_RDONLY | (NFS.constants.O_NONBLOCK ?? 0)

const reasons: Record<string, SystemErrorReason> = {
  ENOENT: "NotFound",
  EACCES: "PermissionDenied",
  EPERM: "PermissionDenied",
  EISDIR: "BadResource",
  ENOTDIR: "BadResource",
  ELOOP: "BadResource",
  EBUSY: "Busy"
}

const failure = (path: string, method: string, error: NodeJS.ErrnoException) =>
  new SystemError({
    reason: reasons[error.code ?? ""] ?? "Unknown",
    module: "FileSystem",
    method,
    pathOrDescriptor: path,
    syscall: error.syscall,
    description: error.message,
    cause: error
  })

const typeOf = (stats: NFS.Stats): Head["type"] =>
  stats.isFile()
    ? "File"
    : stats.isDirectory()
    ? "Directory"
    : stats.isFIFO()
    ? "FIFO"
    : stats.isSocket()
    ? "Socket"
    : stats.isCharacterDevice()
    ? "CharacterDevice"
    : stats.isBlockDevice()
    ? "BlockDevice"
    : "Unknown"

const empty = new Uint8Array(0)

const read = (path: string, bytes: (size: number) => number) =>
  Effect.async<Head, SystemError>((resume) => {
    const fail = (method: string) => (error: NodeJS.ErrnoException) => resume(Effect.fail(failure(path, method, error)))
    // the descriptor is closed before the answer goes back, whatever the answer
    const closeWith = (fd: number, answer: Effect.Effect<Head, SystemError>) => NFS.close(fd, () => resume(answer))
    NFS.open(path, openFlags, (openError, fd) => {
      if (openError !== null) return fail("open")(openError)
      NFS.fstat(fd, (statError, stats) => {
        if (statError !== null) return closeWith(fd, Effect.fail(failure(path, "stat", statError)))
        const type = typeOf(stats)
        const length = type === "File" ? Math.min(stats.size, bytes(stats.size)) : 0
        if (length === 0) return closeWith(fd, Effect.succeed({ type, size: stats.size, bytes: empty }))
        const buffer = Buffer.allocUnsafe(length)
        NFS.read(fd, buffer, 0, length, 0, (readError, read) => {
          closeWith(
            fd,
            readError !== null
              ? Effect.fail(failure(path, "read", readError))
              : Effect.succeed({ type, size: stats.size, bytes: read === length ? buffer : buffer.subarray(0, read) })
          )
        })
      })
    })
  })

/**
 * @since 0.3.0
 * @category layers
 */
export const layer: Layer.Layer<FileHeads> = Layer.succeed(FileHeads, FileHeads.of({ read }))
