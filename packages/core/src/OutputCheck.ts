/**
 * Whether an output root can take a run's files, decided once before any work: it is created one
 * directory at a time (never with a recursive mkdir, which on some special file systems, such as
 * `/proc`, retries forever), a small file is written and removed in it, and every step has a bound. A
 * root that cannot be used is one `OutputRootError` naming the directory and what to do, instead of a
 * failure per item or a run that never ends.
 *
 * @since 0.2.0
 */
import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Duration, Effect, Predicate, Random, Schema } from "effect"

/**
 * An output root (or the ledger in it) that a run cannot use.
 *
 * - `NotCreatable`: a directory on the way cannot be created (a read-only or special file system);
 * - `NotADirectory`: a file stands where a directory must be;
 * - `NotWritable`: the directory exists but files cannot be written in it;
 * - `NoSpace`: the device is full;
 * - `Unresponsive`: the file system did not answer in time (a hung network mount);
 * - `Ledger`: the ledger file in it cannot be opened.
 *
 * @since 0.2.0
 * @category errors
 */
export class OutputRootError extends Schema.TaggedError<OutputRootError>("@asrflow/core/OutputRootError")(
  "OutputRootError",
  {
    path: Schema.String,
    reason: Schema.Literal("NotCreatable", "NotADirectory", "NotWritable", "NoSpace", "Unresponsive", "Ledger"),
    description: Schema.String
  }
) {
  override get message(): string {
    return this.description
  }
}

/** How long the whole check may take: far more than any local disk needs. */
const boundMs = 30_000

const codeOf = (error: PlatformError): string | undefined =>
  error._tag === "SystemError" && Predicate.hasProperty(error.cause, "code") && typeof error.cause.code === "string"
    ? error.cause.code
    : undefined

const why = (error: PlatformError): string => {
  const code = codeOf(error)
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied"
    case "EROFS":
      return "the file system is read-only"
    case "ENOSPC":
      return "no space left on the device"
    case "ENOENT":
      return "the file system does not allow it"
    default:
      return code ?? (error._tag === "SystemError" ? error.reason : error.message)
  }
}

/**
 * Checks (and by default creates) an output root. `create: false` only checks that it could be created:
 * the nearest existing ancestor must be a directory (for `run --dry-run`, which writes nothing).
 *
 * @since 0.2.0
 * @category constructors
 */
export const prepare = (
  root: string,
  options: {
    readonly create?: boolean | undefined
    /** What the directory is, for the message (default: "the output directory"). */
    readonly what?: string | undefined
    /** Where the user chose it, for the message (default: "--output-dir or OUTPUT_DIR"). */
    readonly chosenBy?: string | undefined
  } = {}
): Effect.Effect<void, OutputRootError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const what = options.what ?? "the output directory"
    const chosenBy = options.chosenBy ?? "--output-dir or OUTPUT_DIR"
    const fail = (reason: OutputRootError["reason"], description: string, at = root) =>
      new OutputRootError({ path: at, reason, description: `${what} ${root} cannot be used: ${description}` })

    // climb to the nearest existing ancestor, remembering what is missing below it
    const missing: Array<string> = []
    let current = path.resolve(root)
    for (;;) {
      const info = yield* Effect.either(fs.stat(current))
      if (info._tag === "Right") {
        if (info.right.type !== "Directory") {
          return yield* fail(
            "NotADirectory",
            `${current} is ${info.right.type === "File" ? "a file" : `a ${info.right.type}`}, not a directory; ` +
              `choose another directory (${chosenBy}) or move the file`,
            current
          )
        }
        break
      }
      const parent = path.dirname(current)
      if (parent === current) return yield* fail("NotCreatable", `no part of the path exists`)
      missing.unshift(current)
      current = parent
    }
    if (options.create === false) return

    for (const directory of missing) {
      yield* fs.makeDirectory(directory).pipe(
        Effect.catchIf(
          (error) => error._tag === "SystemError" && error.reason === "AlreadyExists",
          () => Effect.void
        ),
        Effect.mapError((error) =>
          fail(
            codeOf(error) === "ENOSPC" ? "NoSpace" : "NotCreatable",
            `cannot create ${directory} (${why(error)}); choose a directory you can write to (${chosenBy})`,
            directory
          )
        )
      )
    }

    const probe = path.join(root, `.asrflow-write-check.${Math.abs(yield* Random.nextInt).toString(16)}.tmp`)
    yield* fs.writeFileString(probe, "asrflow checks that it can write here\n").pipe(
      Effect.ensuring(fs.remove(probe).pipe(Effect.ignore)),
      Effect.mapError((error) =>
        codeOf(error) === "ENOSPC" || codeOf(error) === "EDQUOT"
          ? fail("NoSpace", "no space left on its device (or the disk quota is used up); free some space")
          : fail(
            "NotWritable",
            `files cannot be written in it (${why(error)}); choose a directory you can write to (${chosenBy})`
          )
      )
    )
  }).pipe(
    Effect.timeoutFail({
      duration: Duration.millis(boundMs),
      onTimeout: () =>
        new OutputRootError({
          path: root,
          reason: "Unresponsive",
          description: `${options.what ?? "the output directory"} ${root} did not answer within ${
            boundMs / 1000
          } s (a hung network mount?); choose a local directory`
        })
    })
  )
