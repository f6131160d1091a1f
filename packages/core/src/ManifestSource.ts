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
import { Effect, Either, Schema, Stream } from "effect"
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

/**
 * Every entry of a manifest, in file order, made as it is read: each row's item is built when the
 * stream reaches it, and what the row kept is let go then (a plan of many rows stays flat).
 */
const entriesOf = Effect.fnUntraced(function*(config: Config) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const { baseDir } = yield* RunContext
  const file = path.resolve(baseDir, config.path)
  const display = toPosix(config.path)
  const rowBase = config.base_dir === undefined ? path.dirname(file) : path.resolve(baseDir, config.base_dir)
  const error = (location: string, reason: SourceError["reason"], description: string, cause?: unknown) =>
    new SourceError({ source: "manifest", location, reason, description, cause })

  const extension = Keys.extensionOf(file)
  const format = config.format ??
    (extension === "csv" ? "csv" : extension === "jsonl" || extension === "ndjson" ? "jsonl" : undefined)
  if (format === undefined) {
    return [
      Either.left(
        error(
          display,
          "InvalidPath",
          "cannot tell the manifest's format from its extension; set `format: csv` or `format: jsonl`"
        )
      )
    ] satisfies Array<SourceEntry>
  }
  const text = yield* Effect.either(fs.readFileString(file))
  if (Either.isLeft(text)) {
    const missing = text.left._tag === "SystemError" && text.left.reason === "NotFound"
    return [
      Either.left(
        error(
          display,
          missing ? "NotFound" : "Unreadable",
          missing ? `the manifest ${file} does not exist` : `cannot read the manifest: ${text.left.message}`,
          text.left
        )
      )
    ] satisfies Array<SourceEntry>
  }

  const problems: Array<SourceEntry> = []
  let rows: ReadonlyArray<ManifestRows.RawRow>
  if (format === "csv") {
    const csv = ManifestRows.csvRows(text.right, columns)
    if (csv.header.length > 0 && !csv.header.includes("audio")) {
      return [
        Either.left(
          error(`${display}:1`, "InvalidRow", `the header has no \`audio\` column (columns: ${csv.header.join(", ")})`)
        )
      ] satisfies Array<SourceEntry>
    }
    for (const name of csv.header) {
      const near = columns.includes(name) ? undefined : DidYouMean.closest(name, columns)
      if (near !== undefined) {
        problems.push(
          Either.left(
            error(
              `${display}:1`,
              "InvalidRow",
              `column \`${name}\` looks like a misspelling of \`${near}\`; rename it (unknown columns go to metadata)`
            )
          )
        )
      }
    }
    rows = csv.rows
  } else {
    rows = ManifestRows.jsonlRows(text.right)
  }

  interface Candidate {
    readonly line: number
    readonly row: Row
    readonly id: string
    readonly source: string
    readonly kind: "file" | "url"
    readonly key: string
    readonly fallback: string
    readonly fixed: boolean
  }
  // an entry is let go (undefined) once the stream has taken its item
  const entries: Array<Either.Either<Candidate, SourceError> | undefined> = []
  const explicit = new Map<string, number>()
  const ids = new Set<string>()
  for (const { line, row } of rows) {
    const location = `${display}:${line}`
    if (Either.isLeft(row)) {
      entries.push(Either.left(error(location, "InvalidRow", row.left)))
      continue
    }
    const decoded = decodeRow(row.right)
    if (Either.isLeft(decoded)) {
      entries.push(
        Either.left(
          error(location, "InvalidRow", ManifestRows.rowProblems(format, Row, row.right, decoded.left, columns))
        )
      )
      continue
    }
    const value = decoded.right
    let source: string
    let kind: "file" | "url"
    let key: string
    let fallback: string
    if (isUrlLike(value.audio)) {
      const url = UrlKey.parse(value.audio)
      if (url._tag === "Invalid") {
        entries.push(Either.left(error(location, "InvalidPath", url.message)))
        continue
      }
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
    let fixed = false
    if (value.output_key !== undefined) {
      const requested = toPosix(value.output_key)
      const clean = Keys.sanitize(requested)
      if (clean === undefined || requested.startsWith("/") || requested.split("/").includes("..")) {
        entries.push(
          Either.left(error(location, "InvalidRow", "`output_key` must be a relative path without `..` segments"))
        )
        continue
      }
      const previous = explicit.get(clean)
      if (previous !== undefined) {
        entries.push(
          Either.left(
            error(location, "InvalidRow", `\`output_key\` \`${clean}\` is already used at line ${previous}`)
          )
        )
        continue
      }
      explicit.set(clean, line)
      key = clean
      fallback = clean
      fixed = true
    }
    const id = ids.has(source) ? `${source}#L${line}` : source
    ids.add(id)
    entries.push(Either.right({ line, row: value, id, source, kind, key, fallback, fixed }))
  }

  const candidates = entries.flatMap((entry) => (entry !== undefined && Either.isRight(entry) ? [entry.right] : []))
  const keys = Keys.unique(candidates)
  const itemOf = (candidate: Candidate, key: string): AudioItem => {
    const { context, language_hints, metadata, model } = candidate.row
    const hasOverrides = model !== undefined || language_hints !== undefined || context !== undefined
    // unchecked: every field was decoded from the row just above
    return new AudioItem({
      id: candidate.id,
      source: candidate.source,
      kind: candidate.kind,
      outputKey: key,
      origin: `manifest ${display}:${candidate.line}`,
      overrides: hasOverrides ? new ItemOverrides({ model, language_hints, context }, true) : undefined,
      metadata
    }, true)
  }
  candidates.length = 0
  return (function*(): Generator<SourceEntry> {
    yield* problems
    let index = 0
    for (let at = 0; at < entries.length; at++) {
      const entry = entries[at]!
      entries[at] = undefined
      yield Either.isLeft(entry) ? Either.left(entry.left) : Either.right(itemOf(entry.right, keys[index++]!))
    }
  })()
})

/**
 * Lists every entry of a manifest, in file order.
 *
 * @since 0.1.0
 * @category constructors
 */
export const list = (config: Config) => Effect.map(entriesOf(config), (entries) => Array.from(entries))

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
  make: (config) => Stream.unwrap(Effect.map(entriesOf(config), Stream.fromIterable))
}
