/**
 * A pipeline document as a plain value plus where each of its keys and values sits in the YAML text, so
 * that every problem can be reported as `file:line:col`.
 *
 * @internal
 */
import { Either } from "effect"
import type { Node as YamlNode } from "yaml"
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml"
import { ConfigIssue } from "../PipelineConfigError.js"

export type Segment = string | number
export type PathKey = string

export interface Position {
  readonly line: number
  readonly column: number
}

export interface Located {
  readonly key?: Position | undefined
  readonly value?: Position | undefined
}

export interface Tree {
  readonly value: unknown
  readonly positions: Map<PathKey, Located>
  /** Paths of plain (unquoted) YAML scalars: their interpolated text is re-read as a number or boolean. */
  readonly plain: Set<PathKey>
}

export const keyOf = (path: ReadonlyArray<Segment>): PathKey => JSON.stringify(path)

/**
 * Formats a path as `sources[0].include`.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`
    else {
      const name = String(segment)
      out += /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? (out === "" ? name : `.${name}`) : `[${JSON.stringify(name)}]`
    }
  }
  return out
}

export const fromYaml = (text: string): Either.Either<Tree, ReadonlyArray<ConfigIssue>> => {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true })
  if (doc.errors.length > 0) {
    return Either.left(doc.errors.map((error) => {
      const [start] = error.linePos ?? []
      return new ConfigIssue({
        line: start?.line,
        column: start?.col,
        path: "",
        message: `invalid YAML: ${error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`
      })
    }))
  }
  const positions = new Map<PathKey, Located>()
  const plain = new Set<PathKey>()
  const at = (offset: number | undefined): Position | undefined => {
    if (offset === undefined) return undefined
    const { col, line } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  const record = (path: ReadonlyArray<Segment>, located: Located) => {
    const key = keyOf(path)
    positions.set(key, { ...positions.get(key), ...located })
  }
  const walk = (node: unknown, path: ReadonlyArray<Segment>, depth: number): unknown => {
    if (depth > 64) return null
    if (isAlias(node)) return walk(node.resolve(doc), path, depth + 1)
    if (node === null || node === undefined) return null
    const start = (node as YamlNode).range?.[0]
    record(path, { value: at(start) })
    if (isScalar(node)) {
      if (typeof node.value === "string" && node.type === "PLAIN") plain.add(keyOf(path))
      return node.value
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {}
      for (const pair of node.items) {
        const keyNode = pair.key
        const name = isScalar(keyNode) ? String(keyNode.value) : String(keyNode)
        const childPath = [...path, name]
        const keyStart = (keyNode as YamlNode | null)?.range?.[0]
        record(childPath, { key: at(keyStart), value: at(keyStart) })
        out[name] = walk(pair.value, childPath, depth + 1)
      }
      return out
    }
    if (isSeq(node)) return node.items.map((item, index) => walk(item, [...path, index], depth + 1))
    return null
  }
  if (doc.contents === null) {
    return Either.left([
      new ConfigIssue({ path: "", message: "the file is empty; a pipeline needs version, sources, provider and sinks" })
    ])
  }
  return Either.right({ value: walk(doc.contents, [], 0), positions, plain })
}

export const fromObject = (value: unknown): Tree => ({ value, positions: new Map(), plain: new Set() })

/** The position of a path, or of its nearest ancestor that has one. */
export const positionOf = (tree: Tree, path: ReadonlyArray<Segment>, prefer: "key" | "value"): Position | undefined => {
  for (let n = path.length; n >= 0; n--) {
    const located = tree.positions.get(keyOf(path.slice(0, n)))
    if (located !== undefined) {
      const position = n === path.length && prefer === "key" ? located.key ?? located.value : located.value
      if (position !== undefined) return position
    }
  }
  return undefined
}

export const issueAt = (
  tree: Tree,
  path: ReadonlyArray<Segment>,
  message: string,
  prefer: "key" | "value" = "value"
): ConfigIssue => {
  const position = positionOf(tree, path, prefer)
  return new ConfigIssue({ line: position?.line, column: position?.column, path: formatPath(path), message })
}
