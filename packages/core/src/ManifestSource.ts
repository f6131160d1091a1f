/**
 * The `manifest` source: a CSV file with a header, or a JSONL file, one recording per row.
 *
 * Each row has `audio` (a local path, relative to `base_dir`, or an http(s)/`oss://` URL) and optional
 * per-item overrides: `model`, `language_hints`, `context`, `output_key`, and free `metadata` that is
 * passed through to the outputs untouched.
 *
 * - CSV: `language_hints` is one cell, separated by `|` or `,` (`zh|en`); a `metadata` cell holds a
 *   JSON object; every other column goes into `metadata` as a string (empty cells are left out). A
 *   column whose name is a near-miss of a known one (`langauge_hints`) is reported.
 * - JSONL: one JSON object per line; `language_hints` is an array; free fields go under `metadata`, and
 *   any other key is an error. Blank lines are skipped.
 * - A bad row becomes a `SourceError` with the file and line (`inputs.csv:7`); the other rows go on.
 * - Output keys: `output_key` when given (it must be unique), else the audio path relative to
 *   `base_dir` without extension (the file name for paths outside it; host + path for URLs). Derived
 *   keys that collide keep their extension, then get `~2`, `~3`.
 *
 * @since 0.1.0
 */
import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Chunk, Effect, Either, Schema, Stream } from "effect"
import { AudioItem, ItemOverrides } from "./AudioItem.js"
import { SourceError } from "./AudioSource.js"
import type { SourceEntry } from "./AudioSource.js"
import type { SourceComponent } from "./Component.js"
import * as DidYouMean from "./DidYouMean.js"
import * as Keys from "./internal/keys.js"
import * as ManifestRows from "./internal/manifestRows.js"
import * as UrlKey from "./internal/urlKey.js"
import { RunContext } from "./RunContext.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export class Config extends Schema.Class<Config>("ManifestSourceConfig")({
  type: Schema.Literal("manifest"),
  path: Schema.String.annotations({
    description: "The manifest file (.csv with a header, or .jsonl), relative to the pipeline file.",
    examples: ["inputs.csv"]
  }),
  format: Schema.optional(
    Schema.Literal("csv", "jsonl").annotations({
      description: "The manifest's format; by default taken from the extension (.csv, .jsonl or .ndjson)."
    })
  ),
  base_dir: Schema.optional(Schema.String.annotations({
    description: "The directory relative `audio` paths start from. Defaults to the manifest's own directory."
  }))
}, { description: "A CSV or JSONL list of recordings with per-item overrides." }) {}

/**
 * One manifest row, as decoded.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Row = Schema.Struct({
  audio: Schema.NonEmptyString.annotations({ description: "A local path or an http(s)/oss:// URL." }),
  model: Schema.optional(Schema.NonEmptyString),
  language_hints: Schema.optional(Schema.Array(Schema.NonEmptyString)),
  context: Schema.optional(Schema.String),
  output_key: Schema.optional(Schema.NonEmptyString),
  metadata: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type Row = typeof Row.Type

const columns: ReadonlyArray<string> = ["audio", "model", "language_hints", "context", "output_key", "metadata"]

const decodeRow = ManifestRows.decoder(Row)

// =============================================================================
// items
// =============================================================================

const isUrlLike = (audio: string): boolean => /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(audio)

const toPosix = (p: string): string => p.split("\\").join("/")

interface Candidate extends Keys.KeyEntry {
  readonly line: number
  readonly row: Row
  readonly source: string
  readonly kind: "file" | "url"
}

/** What a row reader gives: rows as the bytes arrive, the rest at the end. */
interface RowReader {
  readonly feed: (bytes: Uint8Array) => ReadonlyArray<ManifestRows.RawRow>
  readonly end: () => ReadonlyArray<ManifestRows.RawRow>
}

/**
 * Every entry of a manifest, in file order, made as it is read, in two passes over the file: the first
 * counts the output keys (a derived key is changed when any other row, even the last, has it too), the
 * second builds each row's item when the stream reaches it. Only the keys and the sources are kept (for
 * their uniqueness), never the rows: a plan of many rows runs in flat memory, and its first rows come out
 * after one read of the file instead of after all its items are built.
 */
const entriesOf = (config: Config) =>
  Stream.unwrap(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const { baseDir } = yield* RunContext
    const file = path.resolve(baseDir, config.path)
    const display = toPosix(config.path)
    const rowBase = config.base_dir === undefined ? path.dirname(file) : path.resolve(baseDir, config.base_dir)
    const error = (location: string, reason: SourceError["reason"], description: string, cause?: unknown) =>
      new SourceError({ source: "manifest", location, reason, description, cause })
    const only = (entry: SourceError) => Stream.make<[SourceEntry]>(Either.left(entry))

    const extension = Keys.extensionOf(file)
    const format = config.format ??
      (extension === "csv" ? "csv" : extension === "jsonl" || extension === "ndjson" ? "jsonl" : undefined)
    if (format === undefined) {
      return only(error(
        display,
        "InvalidPath",
        "cannot tell the manifest's format from its extension; set `format: csv` or `format: jsonl`"
      ))
    }
    const unreadable = (cause: PlatformError) => {
      const missing = cause._tag === "SystemError" && cause.reason === "NotFound"
      return error(
        display,
        missing ? "NotFound" : "Unreadable",
        missing ? `the manifest ${file} does not exist` : `cannot read the manifest: ${cause.message}`,
        cause
      )
    }

    // a row as a candidate item, or why it is not one; an explicit key used twice is refused the second time
    const candidates = () => {
      const explicit = new Map<string, number>()
      return ({ line, row }: ManifestRows.RawRow): Either.Either<Candidate, SourceError> => {
        const location = `${display}:${line}`
        if (Either.isLeft(row)) return Either.left(error(location, "InvalidRow", row.left))
        const decoded = decodeRow(row.right)
        if (Either.isLeft(decoded)) {
          return Either.left(
            error(location, "InvalidRow", ManifestRows.rowProblems(format, Row, row.right, decoded.left, columns))
          )
        }
        const value = decoded.right
        let source: string
        let kind: "file" | "url"
        let key: string
        let fallback: string
        if (isUrlLike(value.audio)) {
          const url = UrlKey.parse(value.audio)
          if (url._tag === "Invalid") return Either.left(error(location, "InvalidPath", url.message))
          source = url.url.href
          kind = "url"
          key = UrlKey.keyOf(url.url)
          fallback = UrlKey.fallbackOf(url.url)
        } else {
          source = path.resolve(rowBase, value.audio)
          kind = "file"
          const relative = path.relative(rowBase, source)
          const rel = relative.startsWith("..") || path.isAbsolute(relative) ? path.basename(source) : toPosix(relative)
          key = Keys.sanitize(Keys.stripExtension(rel)) ?? "audio"
          fallback = Keys.sanitize(rel) ?? "audio"
        }
        if (value.output_key === undefined) return Either.right({ line, row: value, source, kind, key, fallback })
        const requested = toPosix(value.output_key)
        const clean = Keys.sanitize(requested)
        if (clean === undefined || requested.startsWith("/") || requested.split("/").includes("..")) {
          return Either.left(
            error(location, "InvalidRow", "`output_key` must be a relative path without `..` segments")
          )
        }
        const previous = explicit.get(clean)
        if (previous !== undefined) {
          return Either.left(
            error(location, "InvalidRow", `\`output_key\` \`${clean}\` is already used at line ${previous}`)
          )
        }
        explicit.set(clean, line)
        return Either.right({ line, row: value, source, kind, key: clean, fallback: clean, fixed: true })
      }
    }
    const reader = (): RowReader & { readonly csv?: ReturnType<typeof ManifestRows.csvReader> } => {
      if (format === "jsonl") return ManifestRows.jsonlReader()
      const csv = ManifestRows.csvReader(columns)
      return { feed: csv.feed, end: csv.end, csv }
    }

    // first pass: every key, the CSV's header, and where a quote that is never closed opened
    const census = new Keys.KeyCensus()
    const scanner = format === "csv" ? new ManifestRows.QuoteScanner() : undefined
    const counting = reader()
    const count = (rows: ReadonlyArray<ManifestRows.RawRow>, candidateOf: ReturnType<typeof candidates>) => {
      for (const raw of rows) {
        const candidate = candidateOf(raw)
        if (Either.isRight(candidate)) census.add(candidate.right)
      }
    }
    const counted = yield* Effect.either(Effect.suspend(() => {
      const candidateOf = candidates()
      return Effect.zipRight(
        Stream.runForEach(fs.stream(file, { chunkSize: FileSystem.KiB(16) }), (bytes) =>
          Effect.sync(() => {
            scanner?.feed(bytes)
            count(counting.feed(bytes), candidateOf)
          })),
        Effect.sync(() => count(counting.end(), candidateOf))
      )
    }))
    if (Either.isLeft(counted)) return only(unreadable(counted.left))

    const problems: Array<SourceEntry> = []
    const header = counting.csv?.header() ?? []
    if (header.length > 0 && !header.includes("audio")) {
      return only(
        error(`${display}:1`, "InvalidRow", `the header has no \`audio\` column (columns: ${header.join(", ")})`)
      )
    }
    for (const name of header) {
      const near = columns.includes(name) ? undefined : DidYouMean.closest(name, columns)
      if (near !== undefined) {
        problems.push(Either.left(error(
          `${display}:1`,
          "InvalidRow",
          `column \`${name}\` looks like a misspelling of \`${near}\`; rename it (unknown columns go to metadata)`
        )))
      }
    }
    // the rows before an unclosed quote are fine: read them, and report the rest as one problem
    const unclosed = scanner?.unclosed()
    const tail: Array<ManifestRows.RawRow> = unclosed === undefined ? [] : [ManifestRows.unclosedQuote(unclosed)]
    // second pass: each row's item, with the key the census gives it
    const candidateOf = candidates()
    const keyOf = Keys.assigner(census)
    const ids = new Set<string>()
    const entryOf = (raw: ManifestRows.RawRow): SourceEntry => {
      const candidate = candidateOf(raw)
      if (Either.isLeft(candidate)) return Either.left(candidate.left)
      const { context, language_hints, metadata, model } = candidate.right.row
      const hasOverrides = model !== undefined || language_hints !== undefined || context !== undefined
      const id = ids.has(candidate.right.source)
        ? `${candidate.right.source}#L${candidate.right.line}`
        : candidate.right.source
      ids.add(id)
      // unchecked: every field was decoded from the row
      return Either.right(
        new AudioItem({
          id,
          source: candidate.right.source,
          kind: candidate.right.kind,
          outputKey: keyOf(candidate.right),
          origin: `manifest ${display}:${candidate.right.line}`,
          overrides: hasOverrides ? new ItemOverrides({ model, language_hints, context }, true) : undefined,
          metadata
        }, true)
      )
    }
    // an error that stops the parser leaves no row but itself
    const fatal = counting.csv?.fatal()
    if (fatal !== undefined) return Stream.fromIterable([...problems, ...[fatal, ...tail].map(entryOf)])
    const emitting = reader()
    const bytes = unclosed === undefined
      ? fs.stream(file, { chunkSize: FileSystem.KiB(16) })
      : unclosed.lineStart === 0
      ? Stream.empty
      : fs.stream(file, { bytesToRead: FileSystem.Size(unclosed.lineStart) })
    return Stream.fromIterable(problems).pipe(
      Stream.concat(bytes.pipe(Stream.mapConcat((chunk) => emitting.feed(chunk).map(entryOf)))),
      Stream.concat(Stream.suspend(() => Stream.fromIterable([...emitting.end(), ...tail].map(entryOf)))),
      // the file went away or changed between the passes
      Stream.catchAll((cause) => only(unreadable(cause)))
    )
  }))

/**
 * Lists every entry of a manifest, in file order.
 *
 * @since 0.1.0
 * @category constructors
 */
export const list = (config: Config) =>
  Effect.map(Stream.runCollect(entriesOf(config)), (entries) => Chunk.toArray(entries))

/**
 * @since 0.1.0
 * @category components
 */
export const component: SourceComponent<Config, FileSystem.FileSystem | Path.Path | RunContext> = {
  kind: "source",
  type: "manifest",
  description:
    "A CSV or JSONL list of recordings with per-item overrides (model, language_hints, context, output_key, metadata).",
  config: Config,
  make: entriesOf
}
