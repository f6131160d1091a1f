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

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const toPosix = (p: string): string => p.split("\\").join("/")

/** Lists the entries of one `include` pattern, relative to the walk's root. */
const listInclude = Effect.fnUntraced(function*(
  pattern: string,
  baseDir: string,
  isExcluded: (absolute: string) => boolean
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
    if (scan.isGlob && missing) return { root, found: [] as Array<Found> }
    return {
      root,
      found: [{
        rel: "",
        entry: fail(
          root,
          missing ? "NotFound" : "Unreadable",
          missing ?
            `\`${pattern}\` does not exist (relative paths start at ${baseDir})` :
            `cannot read \`${pattern}\`: ${rootInfo.left.message}`,
          rootInfo.left
        )
      }]
    }
  }
  if (!scan.isGlob && rootInfo.right.type !== "Directory") {
    const name = path.basename(root)
    if (rootInfo.right.type !== "File") {
      return {
        root: path.dirname(root),
        found: [{ rel: name, entry: fail(root, "Unreadable", `not a regular file (${rootInfo.right.type})`) }]
      }
    }
    return { root: path.dirname(root), found: isExcluded(root) ? [] : [{ rel: name, entry: Either.right(root) }] }
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
  const found: Array<Found> = []

  // with the platform's typed listing, a file or directory costs no call of its own; otherwise each name is
  // "Unknown" and its type is read below
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
            found.push({ rel, entry: fail(absolute, "NotFound", `broken symlink (points to ${link.value})`) })
          }
          return undefined
        }
        if (!inside(real.value)) {
          const info = yield* Effect.option(fs.stat(absolute))
          const isDirectory = Option.isSome(info) && info.value.type === "Directory"
          if (isDirectory ? canDescend(rel) && !isExcluded(absolute) : accept(rel, absolute)) {
            found.push({
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
          found.push({ rel, entry: fail(absolute, "Unreadable", `cannot stat: ${info.left.message}`, info.left) })
        }
        return undefined
      }
      return info.right.type
    })

  const walk = (directory: string, prefix: string): Effect.Effect<void> =>
    Effect.gen(function*() {
      const listed = yield* Effect.either(entries(directory))
      if (Either.isLeft(listed)) {
        found.push({
          rel: prefix,
          entry: fail(directory, "Unreadable", `cannot list the directory: ${listed.left.message}`, listed.left)
        })
        return
      }
      for (const { name, type: listedType } of [...listed.right].sort((a, b) => compare(a.name, b.name))) {
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
            if (accept(rel, absolute)) found.push({ rel, entry: Either.right(absolute) })
            break
          }
          default: {
            if (accept(rel, absolute)) {
              found.push({ rel, entry: fail(absolute, "Unreadable", `not a regular file (${type})`) })
            }
          }
        }
      }
    })

  yield* walk(root, "")
  return { root, found }
})

/**
 * Lists every entry of a `files` source, in order, with unique output keys.
 *
 * @since 0.1.0
 * @category constructors
 */
export const list = Effect.fnUntraced(function*(config: Config) {
  const path = yield* Path.Path
  const { baseDir } = yield* RunContext
  const excludes = config.exclude.map((pattern) => {
    const isMatch = picomatch(toPosix(pattern))
    return path.isAbsolute(pattern) ?
      (absolute: string) => isMatch(toPosix(absolute)) :
      (absolute: string) => isMatch(toPosix(path.relative(baseDir, absolute)))
  })
  const isExcluded = (absolute: string) => excludes.some((test) => test(absolute))
  const seen = new Set<string>()
  const files: Array<{ readonly absolute: string; readonly rel: string; readonly pattern: string }> = []
  const entries: Array<Either.Either<number, SourceError>> = []
  for (const pattern of config.include) {
    const { found } = yield* listInclude(pattern, baseDir, isExcluded)
    for (const { entry, rel } of [...found].sort((a, b) => compare(a.rel, b.rel))) {
      if (Either.isLeft(entry)) {
        entries.push(Either.left(entry.left))
      } else if (!seen.has(entry.right)) {
        seen.add(entry.right)
        entries.push(Either.right(files.length))
        files.push({ absolute: entry.right, rel, pattern })
      }
    }
  }
  // clashes are settled in the order of the files' absolute paths, not of `include`: reordering the
  // patterns must not move outputs (or re-bill them under new fingerprints)
  const byPath = files.map((_, index) => index).sort((a, b) => compare(files[a]!.absolute, files[b]!.absolute))
  const settled = Keys.unique(byPath.map((index) => ({
    key: Keys.stripExtension(files[index]!.rel),
    fallback: files[index]!.rel
  })))
  const keys: Array<string> = []
  byPath.forEach((index, position) => (keys[index] = settled[position]!))
  // the walk keeps paths and keys; each item is made only when the run reaches it, and is not kept
  return {
    *[Symbol.iterator]() {
      for (const entry of entries) {
        yield Either.map(entry, (index) =>
          // strings from the walk: valid by construction, so not validated again (100,000 items stay cheap)
          new AudioItem({
            id: files[index].absolute,
            source: files[index].absolute,
            kind: "file",
            outputKey: keys[index],
            origin: `files ${files[index].pattern}`
          }, true))
      }
    }
  } satisfies Iterable<SourceEntry>
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
  make: (config) => Stream.unwrap(Effect.map(list(config), Stream.fromIterable))
}
