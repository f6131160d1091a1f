/**
 * The rows of a manifest as parsed, before they become items: CSV (a header, then one row per line;
 * a quote that is never closed swallows every line after it, so it is reported where it opened, with
 * the lines it took) and JSONL (one object per line); and what is wrong with a row, in the words of its
 * format (the CSV's columns, the JSONL's fields).
 *
 * @internal
 */
import { parse as parseCsv } from "csv-parse/sync"
import { Either, Schema, SchemaAST } from "effect"
import type { ParseResult } from "effect"
import * as ConfigIssues from "./configIssues.js"
import * as YamlTree from "./yamlTree.js"

export interface RawRow {
  readonly line: number
  readonly row: Either.Either<unknown, string>
}

/** The line where the last quoted cell that is never closed opened, if any. */
const unclosedQuoteLine = (text: string): number | undefined => {
  let line = 1
  let quoted = false
  let openedAt = 0
  let atCellStart = true
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (quoted) {
      if (char === "\"") {
        if (text[i + 1] === "\"") i++
        else quoted = false
      } else if (char === "\n") line++
      continue
    }
    if (char === "\"" && atCellStart) {
      quoted = true
      openedAt = line
    } else if (char === "\n") line++
    atCellStart = char === "," || char === "\n" || (atCellStart && (char === " " || char === "\t" || char === "\r"))
  }
  return quoted ? openedAt : undefined
}

// each record becomes its raw row as the parser emits it: no parser bookkeeping is kept per row
const parseRecords = (
  text: string,
  header: { names: Array<string> },
  skipped: Array<RawRow>,
  toRow: (record: Record<string, string>, line: number) => RawRow
) =>
  parseCsv(text, {
    columns: (names: Array<string>) => {
      header.names = names.map((name) => name.trim())
      return header.names
    },
    bom: true,
    skip_empty_lines: true,
    trim: true,
    relax_column_count: true,
    skip_records_with_error: true,
    on_record: (record: Record<string, string>, info: { readonly lines: number }) => toRow(record, info.lines),
    on_skip: (error) => {
      if (error !== undefined) {
        skipped.push({
          line: Number(error.lines),
          row: Either.left(`invalid CSV: ${error.message.replace(/ at line \d+/, "")}`)
        })
      }
      return undefined
    }
  }) as unknown as Array<RawRow>

/**
 * Parses a CSV manifest: the header's column names and one raw row per line, with each cell under its
 * column (`language_hints` split on `|` or `,`, `metadata` parsed as JSON, unknown columns gathered as
 * metadata).
 */
export const csvRows = (
  text: string,
  columns: ReadonlyArray<string>
): { readonly header: ReadonlyArray<string>; readonly rows: ReadonlyArray<RawRow> } => {
  const skipped: Array<RawRow> = []
  const header = { names: [] as Array<string> }
  const opened = unclosedQuoteLine(text)
  // the rows before an unclosed quote are fine: read them, and report the rest as one problem
  const lines = opened === undefined ? [] : text.split("\n")
  const readable = opened === undefined ? text : lines.slice(0, opened - 1).join("\n")
  const swallowed: Array<RawRow> = opened === undefined ? [] : [{
    line: opened,
    row: Either.left(
      `a quote opened on line ${opened} is never closed, so ${
        lines.length - (text.endsWith("\n") ? 1 : 0) > opened
          ? `lines ${opened}-${lines.length - (text.endsWith("\n") ? 1 : 0)} were read as one cell and skipped`
          : "the line was skipped"
      }; close the quote (a quote inside a cell is written twice: "")`
    )
  }]
  const toRow = (record: Record<string, string>, line: number): RawRow => {
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
  const parsed = Either.try(() => parseRecords(readable, header, skipped, toRow))
  if (Either.isLeft(parsed)) {
    const error = parsed.left as { readonly message?: unknown; readonly lines?: unknown }
    return {
      header: header.names,
      rows: [{
        line: typeof error.lines === "number" ? error.lines : 1,
        row: Either.left(`invalid CSV: ${String(error.message)}`)
      }, ...swallowed]
    }
  }
  return {
    header: header.names,
    rows: skipped.length + swallowed.length === 0
      ? parsed.right
      : [...parsed.right, ...skipped, ...swallowed].sort((a, b) => a.line - b.line)
  }
}

/** Parses a JSONL manifest: one JSON object per line; blank lines are skipped. */
export const jsonlRows = (text: string): ReadonlyArray<RawRow> =>
  text.split(/\r?\n/).flatMap((content, index): Array<RawRow> => {
    if (content.trim() === "") return []
    const line = index + 1
    const json = Either.try(() => JSON.parse(content) as unknown)
    if (Either.isLeft(json)) {
      return [{ line, row: Either.left(`invalid JSON: ${(json.left as Error).message}`) }]
    }
    if (typeof json.right !== "object" || json.right === null || Array.isArray(json.right)) {
      return [{ line, row: Either.left("expected a JSON object with an `audio` key") }]
    }
    return [{ line, row: Either.right(json.right) }]
  })

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
