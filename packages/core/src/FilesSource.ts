/**
 * The `files` source: local files by glob, directory or path.
 *
 * - Globs (picomatch syntax) and plain paths are relative to the pipeline file's directory.
 * - A directory is recursed for audio extensions (wav, mp3, m4a, mp4, flac, ogg, opus, webm, amr, aac, pcm).
 * - Hidden files and directories (`.name`) are skipped unless a glob names them.
 * - Symlinks are followed while their real path stays inside the walked root (the glob's base); a link
 *   that escapes it, or a broken one, becomes a `SourceError` entry. Symlink loops are walked once.
 * - `exclude` globs are matched against each file's path relative to the pipeline file's directory
 *   (or its absolute path, for an absolute pattern); exclude a directory with `dir/**`.
 * - Items come out sorted by their path relative to the glob base (code-unit order), each file once.
 * - The output key is that relative path without its extension (`audio/a/b/x.wav` with base `audio` is
 *   `a/b/x`). When two files would get the same key (`x.wav` and `x.mp3`), both keep their extension
 *   (`x.wav`, `x.mp3`); any remaining clash gets a `~2`, `~3` suffix, in the order of the files'
 *   absolute paths, so the keys do not depend on the order of `include`. Keys never silently collide.
 *
 * @since 0.1.0
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect, Either, Option, Schema, Stream } from "effect"
import picomatch from "picomatch"
import { AudioItem } from "./AudioItem.js"
import { SourceError } from "./AudioSource.js"
import type { SourceEntry } from "./AudioSource.js"
import type { SourceComponent } from "./Component.js"
import { DirectoryEntries } from "./DirectoryEntries.js"
import type { Entry } from "./DirectoryEntries.js"
import * as Keys from "./internal/keys.js"
import { RunContext } from "./RunContext.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export class Config extends Schema.Class<Config>("FilesSourceConfig")({
  type: Schema.Literal("files"),
  include: Schema.NonEmptyArray(Schema.String).annotations({
    description:
      "Globs (picomatch syntax), directories (recursed for audio files) or files, relative to the pipeline file.",
    examples: [["audio/**/*.{wav,mp3,m4a,flac,ogg,opus,webm}"]]
  }),
  exclude: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }).annotations({
    description: "Globs of files to leave out, matched against paths relative to the pipeline file.",
    examples: [["**/drafts/**"]]
  })
}, { description: "Local audio files found by glob, directory or path." }) {}

/**
 * The extensions a directory given in `include` is searched for.
 *
 * @since 0.1.0
 * @category models
 */
export const audioExtensions: ReadonlyArray<string> = [
  "wav",
  "mp3",
  "m4a",
  "mp4",
  "flac",
  "ogg",
  "opus",
  "webm",
  "amr",
  "aac",
  "pcm"
]

interface Found {
  /** The path relative to the walk's root, POSIX separators. */
  readonly rel: string
  readonly entry: Either.Either<string, SourceError>
}

const toPosix = (p: string): string => p.split("\\").join("/")

/** Lists the entries of one `include` pattern, relative to the walk's root. */
const listInclude = Effect.fnUntraced(function*(
  pattern: string,
  baseDir: string,
  isExcluded: (absolute: string) => boolean,
  onFound: (found: Found) => void
) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const scan = picomatch.scan(pattern)
  const display = (absolute: string) => {
    const rel = path.relative(baseDir, absolute)
    return rel === "" || rel.startsWith("..") || path.isAbsolute(rel) ? absolute : toPosix(rel)
  }
  const fail = (
    absolute: string,
    reason: SourceError["reason"],
    description: string,
    cause?: unknown
  ): Either.Either<string, SourceError> =>
    Either.left(new SourceError({ source: "files", location: display(absolute), reason, description, cause }))

  const root = path.resolve(baseDir, scan.isGlob ? scan.base : pattern)
  const rootInfo = yield* Effect.either(fs.stat(root))
  if (Either.isLeft(rootInfo)) {
    const missing = rootInfo.left._tag === "SystemError" && rootInfo.left.reason === "NotFound"
    if (scan.isGlob && missing) return root
    onFound({
      rel: "",
      entry: fail(
        root,
        missing ? "NotFound" : "Unreadable",
        missing ?
          `\`${pattern}\` does not exist (relative paths start at ${baseDir})` :
          `cannot read \`${pattern}\`: ${rootInfo.left.message}`,
        rootInfo.left
      )
    })
    return root
  }
  if (!scan.isGlob && rootInfo.right.type !== "Directory") {
    const name = path.basename(root)
    if (rootInfo.right.type !== "File") {
      onFound({ rel: name, entry: fail(root, "Unreadable", `not a regular file (${rootInfo.right.type})`) })
    } else if (!isExcluded(root)) {
      onFound({ rel: name, entry: Either.right(root) })
    }
    return path.dirname(root)
  }

  const byExtension = (rel: string) => audioExtensions.includes(Keys.extensionOf(rel))
  const matcher = scan.isGlob ? picomatch(scan.glob) : undefined
  // a glob without `**` cannot match deeper than its own segments: do not walk (or report) below that
  const maxDepth = matcher === undefined || scan.glob.includes("**") ? Infinity : scan.glob.split("/").length
  const canDescend = (rel: string) => rel.split("/").length < maxDepth
  const accept = (rel: string, absolute: string): boolean =>
    !isExcluded(absolute) && (matcher === undefined ? byExtension(rel) && !/(^|\/)\./.test(rel) : matcher(rel))
  const rootReal = yield* fs.realPath(root).pipe(Effect.orElseSucceed(() => root))
  const inside = (real: string) =>
    real === rootReal || real.startsWith(rootReal.endsWith(path.sep) ? rootReal : rootReal + path.sep)
  const visited = new Set<string>([rootReal])

  // with the platform's typed listing, a file or directory costs no call of its own; otherwise each name is
  // "Unknown" and its type is read below. A listed file that cannot be read (a directory that can be listed but
  // not searched) then fails when it is probed, not as a source entry
  const entries = Option.match(yield* Effect.serviceOption(DirectoryEntries), {
    onNone: () => (directory: string) =>
      Effect.map(fs.readDirectory(directory), (names) => names.map((name): Entry => ({ name, type: "Unknown" }))),
    onSome: (service) => service.list
  })

  /** The type of what a link or an unknown entry leads to; undefined when it was reported or is left out. */
  const followed = (absolute: string, rel: string): Effect.Effect<FileSystem.File.Type | undefined> =>
    Effect.gen(function*() {
      const link = yield* Effect.option(fs.readLink(absolute))
      if (Option.isSome(link)) {
        const real = yield* Effect.option(fs.realPath(absolute))
        if (Option.isNone(real)) {
          if (accept(rel, absolute)) {
            onFound({ rel, entry: fail(absolute, "NotFound", `broken symlink (points to ${link.value})`) })
          }
          return undefined
        }
        if (!inside(real.value)) {
          const info = yield* Effect.option(fs.stat(absolute))
          const isDirectory = Option.isSome(info) && info.value.type === "Directory"
          if (isDirectory ? canDescend(rel) && !isExcluded(absolute) : accept(rel, absolute)) {
            onFound({
              rel,
              entry: fail(
                absolute,
                "Outside",
                `symlink points outside ${display(root)} (to ${real.value}); it was not followed`
              )
            })
          }
          return undefined
        }
      }
      const info = yield* Effect.either(fs.stat(absolute))
      if (Either.isLeft(info)) {
        if (accept(rel, absolute)) {
          onFound({ rel, entry: fail(absolute, "Unreadable", `cannot stat: ${info.left.message}`, info.left) })
        }
        return undefined
      }
      return info.right.type
    })

  const walk = (directory: string, prefix: string): Effect.Effect<void> =>
    Effect.gen(function*() {
      const listed = yield* Effect.either(entries(directory))
      if (Either.isLeft(listed)) {
        onFound({
          rel: prefix,
          entry: fail(directory, "Unreadable", `cannot list the directory: ${listed.left.message}`, listed.left)
        })
        return
      }
      for (const { name, type: listedType } of [...listed.right].sort((a, b) => Keys.compare(a.name, b.name))) {
        const absolute = path.join(directory, name)
        const rel = prefix === "" ? name : `${prefix}/${name}`
        const type = listedType === "SymbolicLink" || listedType === "Unknown"
          ? yield* followed(absolute, rel)
          : listedType
        switch (type) {
          case undefined:
            break
          case "Directory": {
            if ((matcher === undefined && name.startsWith(".")) || !canDescend(rel)) break
            const real = yield* fs.realPath(absolute).pipe(Effect.orElseSucceed(() => absolute))
            if (visited.has(real)) break
            visited.add(real)
            yield* walk(absolute, rel)
            break
          }
          case "File": {
            if (accept(rel, absolute)) onFound({ rel, entry: Either.right(absolute) })
            break
          }
          default: {
            if (accept(rel, absolute)) {
              onFound({ rel, entry: fail(absolute, "Unreadable", `not a regular file (${type})`) })
            }
          }
        }
      }
    })

  yield* walk(root, "")
  return root
})

/** The test of the `exclude` globs, against absolute paths. */
const excluder = (config: Config, path: Path.Path, baseDir: string) => {
  const excludes = config.exclude.map((pattern) => {
    const isMatch = picomatch(toPosix(pattern))
    return path.isAbsolute(pattern) ?
      (absolute: string) => isMatch(toPosix(absolute)) :
      (absolute: string) => isMatch(toPosix(path.relative(baseDir, absolute)))
  })
  return (absolute: string) => excludes.some((test) => test(absolute))
}

/**
 * Lists every entry of a `files` source, in order, with unique output keys.
 *
 * What is kept for the run is compact (a source of 100,000 files is a few MB): each file's path relative to
 * its walk's root and which `include` found it; its output key only where a clash changed it; the rare
 * errors aside. Each item is made only when the run reaches it, and is not kept.
 *
 * @since 0.1.0
 * @category constructors
 */
export const list = Effect.fnUntraced(function*(config: Config) {
  const path = yield* Path.Path
  const { baseDir } = yield* RunContext
  const isExcluded = excluder(config, path, baseDir)
  // one walk never finds a path twice (each directory is walked once): only several patterns need the set
  const seen = config.include.length > 1 ? new Set<string>() : undefined
  const roots: Array<string> = []
  const rels: Array<string> = []
  const patternOf: Array<number> = []
  const errors: Array<SourceError> = []
  // the entries in order: a file's index, or -(error index + 1)
  const order: Array<number> = []
  for (const [patternIndex, pattern] of config.include.entries()) {
    const files: Array<string> = []
    const failed: Array<{ readonly rel: string; readonly error: SourceError }> = []
    const root = yield* listInclude(pattern, baseDir, isExcluded, ({ entry, rel }) => {
      if (Either.isLeft(entry)) failed.push({ rel, error: entry.left })
      else files.push(rel)
    })
    roots.push(root)
    files.sort(Keys.compare)
    failed.sort((a, b) => Keys.compare(a.rel, b.rel))
    // files and errors merged in the order of their paths
    for (let file = 0, error = 0; file < files.length || error < failed.length;) {
      if (error < failed.length && (file >= files.length || Keys.compare(failed[error]!.rel, files[file]!) < 0)) {
        order.push(-(errors.push(failed[error++]!.error)))
        continue
      }
      const rel = files[file++]!
      if (seen !== undefined) {
        const absolute = path.join(root, rel)
        if (seen.has(absolute)) continue
        seen.add(absolute)
      }
      order.push(rels.push(rel) - 1)
      patternOf.push(patternIndex)
    }
  }
  const absoluteOf = (index: number) => path.join(roots[patternOf[index]!]!, rels[index]!)
  const changedKeys = Keys.changedByClashes(rels, config.include.length > 1 ? absoluteOf : undefined)
  const origins = config.include.map((pattern) => `files ${pattern}`)
  return {
    *[Symbol.iterator]() {
      for (const entry of order) {
        if (entry < 0) {
          yield Either.left(errors[-entry - 1]!)
          continue
        }
        const absolute = absoluteOf(entry)
        // strings from the walk: valid by construction, so not validated again (100,000 items stay cheap)
        yield Either.right(
          new AudioItem({
            id: absolute,
            source: absolute,
            kind: "file",
            outputKey: changedKeys.get(entry) ?? Keys.stripExtension(rels[entry]!),
            origin: origins[patternOf[entry]!]!
          }, true)
        )
      }
    }
  } satisfies Iterable<SourceEntry>
})

/**
 * How many entries `list` gives, without keeping them: a progress total that costs no second listing's
 * memory (only several patterns keep the paths, to count a file found twice once).
 *
 * @since 0.3.0
 * @category constructors
 */
export const count = Effect.fnUntraced(function*(config: Config) {
  const path = yield* Path.Path
  const { baseDir } = yield* RunContext
  const isExcluded = excluder(config, path, baseDir)
  const seen = config.include.length > 1 ? new Set<string>() : undefined
  let entries = 0
  for (const pattern of config.include) {
    const found: Array<string> = []
    const root = yield* listInclude(pattern, baseDir, isExcluded, ({ entry, rel }) => {
      if (Either.isLeft(entry) || seen === undefined) entries += 1
      else found.push(rel)
    })
    for (const rel of found) {
      const absolute = path.join(root, rel)
      if (!seen!.has(absolute)) entries += 1
      seen!.add(absolute)
    }
  }
  return entries
})

/**
 * @since 0.1.0
 * @category components
 */
export const component: SourceComponent<Config, FileSystem.FileSystem | Path.Path | RunContext> = {
  kind: "source",
  type: "files",
  description: "Local audio files found by glob, directory or path.",
  config: Config,
  make: (config) => Stream.unwrap(Effect.map(list(config), Stream.fromIterable)),
  count
}
