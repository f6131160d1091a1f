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
        // as the platform's FileSystem.stat reads them: the mtime as a Date (whole milliseconds)
        const head = (read: Uint8Array): Head => ({
          type,
          size: stats.size,
          bytes: read,
          mtimeMs: stats.mtime.getTime(),
          inode: String(stats.ino)
        })
        const length = type === "File" ? Math.min(stats.size, bytes(stats.size)) : 0
        if (length === 0) return closeWith(fd, Effect.succeed(head(empty)))
        const buffer = Buffer.allocUnsafe(length)
        // a read may return fewer bytes than asked before the end: read on until all are in, or the file ends
        const readFrom = (offset: number): void =>
          NFS.read(fd, buffer, offset, length - offset, offset, (readError, read) => {
            if (readError !== null) return closeWith(fd, Effect.fail(failure(path, "read", readError)))
            const end = offset + read
            if (read > 0 && end < length) return readFrom(end)
            closeWith(fd, Effect.succeed(head(end === length ? buffer : buffer.subarray(0, end))))
          })
        readFrom(0)
      })
    })
  })

/**
 * @since 0.3.0
 * @category layers
 */
export const layer: Layer.Layer<FileHeads> = Layer.succeed(FileHeads, FileHeads.of({ read }))
