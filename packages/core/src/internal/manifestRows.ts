/**
 * The rows of a manifest as parsed, chunk by chunk, before they become items: CSV (a header, then one row
 * per line; a quote that is never closed swallows every line after it, so it is reported where it opened,
 * with the lines it took) and JSONL (one object per line); and what is wrong with a row, in the words of
 * its format (the CSV's columns, the JSONL's fields).
 *
 * @internal
 */
import { Parser } from "csv-parse"
import type { Options } from "csv-parse"
import { Either, Schema, SchemaAST } from "effect"
import type { ParseResult } from "effect"
import * as ConfigIssues from "./configIssues.js"
import * as YamlTree from "./yamlTree.js"

export interface RawRow {
  readonly line: number
  readonly row: Either.Either<unknown, string>
}

const quote = 0x22
const newline = 0x0a
const comma = 0x2c

/**
 * Where the last quoted cell that is never closed opened, read chunk by chunk: its line and the byte where
 * that line starts (the rows before it are fine), and how many lines the file has.
 */
export class QuoteScanner {
  private line = 1
  private lineStart = 0
  private offset = 0
  private quoted = false
  private openedAt = 0
  private openedLineStart = 0
  private atCellStart = true
  // a quote that ended the last chunk inside a quoted cell: closing, or the first of an escaped pair
  private pendingQuote = false
  private endsWithNewline = false

  feed(bytes: Uint8Array): void {
    let i = 0
    if (this.pendingQuote) {
      this.pendingQuote = false
      if (bytes[0] === quote) i = 1
      else this.quoted = false
    }
    for (; i < bytes.length; i++) {
      const byte = bytes[i]!
      if (this.quoted) {
        if (byte === quote) {
          if (i + 1 === bytes.length) this.pendingQuote = true
          else if (bytes[i + 1] === quote) i++
          else this.quoted = false
        } else if (byte === newline) this.newLine(i)
        continue
      }
      if (byte === quote && this.atCellStart) {
        this.quoted = true
        this.openedAt = this.line
        this.openedLineStart = this.lineStart
      } else if (byte === newline) this.newLine(i)
      this.atCellStart = byte === comma || byte === newline ||
        (this.atCellStart && (byte === 0x20 || byte === 0x09 || byte === 0x0d))
    }
    if (bytes.length > 0) this.endsWithNewline = bytes[bytes.length - 1] === newline
    this.offset += bytes.length
  }

  private newLine(at: number): void {
    this.line++
    this.lineStart = this.offset + at + 1
  }

  /** At the end of the file: the unclosed quote, if any. */
  unclosed(): { readonly line: number; readonly lineStart: number; readonly lines: number } | undefined {
    const quoted = this.quoted && !this.pendingQuote
    return quoted
      ? { line: this.openedAt, lineStart: this.openedLineStart, lines: this.line - (this.endsWithNewline ? 1 : 0) }
      : undefined
  }
}

/** The problem an unclosed quote makes: one row, where it opened, that names the lines it took. */
export const unclosedQuote = (unclosed: { readonly line: number; readonly lines: number }): RawRow => ({
  line: unclosed.line,
  row: Either.left(
    `a quote opened on line ${unclosed.line} is never closed, so ${
      unclosed.lines > unclosed.line
        ? `lines ${unclosed.line}-${unclosed.lines} were read as one cell and skipped`
        : "the line was skipped"
    }; close the quote (a quote inside a cell is written twice: "")`
  )
})

/** One row of a CSV manifest, each cell under its column (see `csvReader`). */
const csvRow = (columns: ReadonlyArray<string>, record: Record<string, string>, line: number): RawRow => {
  const out: Record<string, unknown> = {}
  const metadata: Record<string, unknown> = {}
  for (const [name, cell] of Object.entries(record)) {
    if (cell === undefined || cell === "") continue
    if (name === "language_hints") {
      out.language_hints = cell.split(/[|,]/).map((hint) => hint.trim()).filter((hint) => hint !== "")
    } else if (name === "metadata") {
      const json = Either.try(() => JSON.parse(cell) as unknown)
      if (Either.isLeft(json) || typeof json.right !== "object" || json.right === null || Array.isArray(json.right)) {
        return {
          line,
          row: Either.left("column `metadata` must hold a JSON object, e.g. {\"speaker\":\"A\"}")
        }
      }
      Object.assign(metadata, json.right)
    } else if (columns.includes(name)) {
      out[name] = cell
    } else {
      metadata[name] = cell
    }
  }
  if (Object.keys(metadata).length > 0) out.metadata = metadata
  return { line, row: Either.right(out) }
}

/**
 * Reads a CSV manifest as its bytes arrive: the header's column names, then one raw row per record, each
 * cell under its column (`language_hints` split on `|` or `,`, `metadata` parsed as JSON, unknown columns
 * gathered as metadata). One parser reads the whole file, so a quoted cell may span chunks. A record the
 * parser cannot read is a row of its own (`invalid CSV: ...`); an error that stops the parser is `fatal`.
 */
export const csvReader = (columns: ReadonlyArray<string>) => {
  let header: ReadonlyArray<string> = []
  let fatal: RawRow | undefined
  let skipped: Array<RawRow> = []
  const options: Options<RawRow, Record<string, string>> = {
    columns: (names: Array<string>) => {
      header = names.map((name) => name.trim())
      return [...header]
    },
    bom: true,
    skip_empty_lines: true,
    trim: true,
    relax_column_count: true,
    skip_records_with_error: true,
    on_record: (record: Record<string, string>, info: { readonly lines: number }) =>
      csvRow(columns, record, info.lines),
    on_skip: (error) => {
      if (error !== undefined) {
        skipped.push({
          line: Number(error.lines),
          row: Either.left(`invalid CSV: ${error.message.replace(/ at line \d+/, "")}`)
        })
      }
      return undefined
    }
  }
  // the stream's constructor is typed for the default records (string arrays); `on_record` makes them rows
  const parser = new Parser(options as unknown as Options)
  // an error that stops the parser is read from `errored` right after the write; the event is not needed
  parser.on("error", () => undefined)
  // the parser writes and reads synchronously: what a chunk completes is there right after its write
  const drain = (): Array<RawRow> => {
    const rows: Array<RawRow> = []
    for (let row = parser.read() as RawRow | null; row !== null; row = parser.read() as RawRow | null) rows.push(row)
    const error = parser.errored as { readonly message?: unknown; readonly lines?: unknown } | null
    if (error !== null && fatal === undefined) {
      fatal = {
        line: typeof error.lines === "number" ? error.lines : 1,
        row: Either.left(`invalid CSV: ${String(error.message)}`)
      }
    }
    if (skipped.length === 0) return rows
    // a record skipped and the ones read around it, in line order (a read one first on a tie)
    const merged = [...rows, ...skipped].sort((a, b) => a.line - b.line)
    skipped = []
    return merged
  }
  return {
    header: (): ReadonlyArray<string> => header,
    fatal: (): RawRow | undefined => fatal,
    feed: (bytes: Uint8Array): Array<RawRow> => {
      if (fatal !== undefined) return []
      parser.write(bytes)
      return drain()
    },
    end: (): Array<RawRow> => {
      if (fatal !== undefined) return []
      parser.end()
      return drain()
    }
  }
}

/**
 * Reads a JSONL manifest as its bytes arrive: one JSON object per line; blank lines are skipped. A BOM
 * at the start is dropped, as a whole-file decode drops it.
 */
export const jsonlReader = () => {
  const decoder = new TextDecoder()
  let carry = ""
  let line = 0
  const rowsOf = (text: string, last: boolean): Array<RawRow> => {
    const lines = (carry + text).split("\n")
    carry = last ? "" : lines.pop()!
    return lines.flatMap((content): Array<RawRow> => {
      line++
      if (content.trim() === "") return []
      const json = Either.try(() => JSON.parse(content.endsWith("\r") ? content.slice(0, -1) : content) as unknown)
      if (Either.isLeft(json)) {
        return [{ line, row: Either.left(`invalid JSON: ${(json.left as Error).message}`) }]
      }
      if (typeof json.right !== "object" || json.right === null || Array.isArray(json.right)) {
        return [{ line, row: Either.left("expected a JSON object with an `audio` key") }]
      }
      return [{ line, row: Either.right(json.right) }]
    })
  }
  return {
    feed: (bytes: Uint8Array): Array<RawRow> => rowsOf(decoder.decode(bytes, { stream: true }), false),
    end: (): Array<RawRow> => rowsOf(decoder.decode(), true)
  }
}

/**
 * What is wrong with a decoded row, in the format's words: `column \`audio\` is empty` for a CSV,
 * `field \`language_hints\`: expected a list of strings, got "zh"` for a JSONL line.
 */
export const rowProblems = (
  format: "csv" | "jsonl",
  schema: Schema.Schema.Any,
  value: unknown,
  error: ParseResult.ParseError,
  columns: ReadonlyArray<string>
): string => {
  const issues = ConfigIssues.schemaIssues(
    YamlTree.fromObject(value),
    value,
    error,
    SchemaAST.encodedAST(schema.ast),
    () => false
  )
  const noun = format === "csv" ? "column" : "field"
  return issues.map((issue) => {
    const missing = /^missing required key `(.+)`$/.exec(issue.message)
    if (missing !== null) {
      return format === "csv"
        ? `column \`${missing[1]}\` is empty`
        : `field \`${missing[1]}\` is missing`
    }
    if (issue.message.startsWith("unknown key")) {
      return `${issue.message.replace(/; expected one of: .*$/, "")}${
        issue.message.includes("did you mean") ? "" : ` (known fields: ${columns.join(", ")})`
      } (put free fields under \`metadata\`)`
    }
    return `${noun} \`${issue.path}\`: ${issue.message}`
  }).join("; ")
}

/** A row schema's decoder with the strictness manifests use. */
export const decoder = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })
