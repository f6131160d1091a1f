/**
 * Loads pipeline files: YAML with positions, `${VAR}` interpolation from effect `Config`, and a strict
 * Schema decode whose every problem is reported as `file:line:col  path.to.key  message`.
 *
 * @since 0.1.0
 */
import { FileSystem, Path } from "@effect/platform"
import type { ParseResult } from "effect"
import { Config, Effect, Either, Option, Schema, SchemaAST } from "effect"
import type { Node as YamlNode } from "yaml"
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml"
import * as DidYouMean from "./internal/didYouMean.js"
import * as Interpolate from "./internal/interpolate.js"
import * as PipelineConfig from "./PipelineConfig.js"
import { ConfigIssue, PipelineConfigError } from "./PipelineConfigError.js"

/**
 * A decoded pipeline file and where it came from.
 *
 * @since 0.1.0
 * @category models
 */
export interface Loaded {
  readonly config: PipelineConfig.PipelineConfig
  /** The file as the caller named it. */
  readonly file: string
  /** The absolute directory relative paths in the file resolve against. */
  readonly baseDir: string
}

// =============================================================================
// positions
// =============================================================================

type Segment = string | number
type PathKey = string

interface Position {
  readonly line: number
  readonly column: number
}

interface Located {
  readonly key?: Position | undefined
  readonly value?: Position | undefined
}

interface Tree {
  readonly value: unknown
  readonly positions: Map<PathKey, Located>
  /** Paths of plain (unquoted) YAML scalars: their interpolated text is re-read as a number or boolean. */
  readonly plain: Set<PathKey>
}

const keyOf = (path: ReadonlyArray<Segment>): PathKey => JSON.stringify(path)

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

const fromYaml = (text: string): Either.Either<Tree, ReadonlyArray<ConfigIssue>> => {
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

const fromObject = (value: unknown): Tree => ({ value, positions: new Map(), plain: new Set() })

/** The position of a path, or of its nearest ancestor that has one. */
const positionOf = (tree: Tree, path: ReadonlyArray<Segment>, prefer: "key" | "value"): Position | undefined => {
  for (let n = path.length; n >= 0; n--) {
    const located = tree.positions.get(keyOf(path.slice(0, n)))
    if (located !== undefined) {
      const position = n === path.length && prefer === "key" ? located.key ?? located.value : located.value
      if (position !== undefined) return position
    }
  }
  return undefined
}

const issueAt = (
  tree: Tree,
  path: ReadonlyArray<Segment>,
  message: string,
  prefer: "key" | "value" = "value"
): ConfigIssue => {
  const position = positionOf(tree, path, prefer)
  return new ConfigIssue({ line: position?.line, column: position?.column, path: formatPath(path), message })
}

// =============================================================================
// interpolation
// =============================================================================

const collectVariables = (value: unknown, into: Set<string>): void => {
  if (typeof value === "string") {
    if (Interpolate.hasReference(value)) { for (const name of Interpolate.variables(value)) into.add(name) }
  } else if (Array.isArray(value)) {
    for (const item of value) collectVariables(item, into)
  } else if (typeof value === "object" && value !== null) {
    for (const item of Object.values(value)) collectVariables(item, into)
  }
}

const readVariables = (names: ReadonlySet<string>): Effect.Effect<Map<string, string>> =>
  Effect.forEach(
    names,
    (name) =>
      Config.option(Config.string(name)).pipe(
        Effect.orElseSucceed(() => Option.none<string>()),
        Effect.map((found) => [name, found] as const)
      ),
    { concurrency: "unbounded" }
  ).pipe(
    Effect.map((entries) => {
      const out = new Map<string, string>()
      for (const [name, found] of entries) if (Option.isSome(found)) out.set(name, found.value)
      return out
    })
  )

const PLAIN_NUMBER = /^[-+]?(?:\d+|\d*\.\d+|\d+\.\d*)(?:[eE][-+]?\d+)?$/

/** Re-reads the interpolated text of a plain scalar as YAML would (numbers, booleans, null). */
const retype = (text: string): unknown => {
  if (PLAIN_NUMBER.test(text)) return Number(text)
  if (/^(?:true|True|TRUE)$/.test(text)) return true
  if (/^(?:false|False|FALSE)$/.test(text)) return false
  if (/^(?:null|Null|NULL|~|)$/.test(text)) return null
  return text
}

interface Interpolated {
  readonly value: unknown
  readonly issues: ReadonlyArray<ConfigIssue>
  readonly paths: ReadonlySet<PathKey>
}

const interpolateTree = (tree: Tree, env: ReadonlyMap<string, string>): Interpolated => {
  const issues: Array<ConfigIssue> = []
  const paths = new Set<PathKey>()
  const walk = (value: unknown, path: ReadonlyArray<Segment>): unknown => {
    if (typeof value === "string") {
      if (!Interpolate.hasReference(value)) return value
      const result = Interpolate.interpolate(value, (name) => env.get(name))
      if (result._tag === "Missing") {
        paths.add(keyOf(path))
        for (const message of result.messages) issues.push(issueAt(tree, path, message))
        return value
      }
      return tree.plain.has(keyOf(path)) ? retype(result.value) : result.value
    }
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index]))
    if (typeof value === "object" && value !== null) {
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) out[key] = walk(item, [...path, key])
      return out
    }
    return value
  }
  return { value: walk(tree.value, []), issues, paths }
}

// =============================================================================
// component slots: `type` checks with friendly messages
// =============================================================================

interface Slot {
  readonly path: ReadonlyArray<Segment>
  readonly kind: "source" | "provider" | "sink"
  readonly types: ReadonlyArray<string>
}

const plural = { source: "sources", provider: "providers", sink: "sinks" } as const

const describe = (value: unknown): string => {
  if (value === null || value === undefined) return "nothing"
  if (Array.isArray(value)) return "a list"
  if (typeof value === "object") return "a mapping"
  return JSON.stringify(value)
}

const slotsOf = (value: unknown, registries: PipelineConfig.Registries): ReadonlyArray<Slot> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return []
  const root = value as Record<string, unknown>
  const slots: Array<Slot> = []
  const list = (key: "sources" | "sinks", kind: "source" | "sink", types: ReadonlyArray<string>) => {
    const items = root[key]
    if (Array.isArray(items)) items.forEach((_, index) => slots.push({ path: [key, index], kind, types }))
  }
  list("sources", "source", registries.sources.types)
  if ("provider" in root) slots.push({ path: ["provider"], kind: "provider", types: registries.providers.types })
  list("sinks", "sink", registries.sinks.types)
  return slots
}

const valueAt = (value: unknown, path: ReadonlyArray<Segment>): unknown =>
  path.reduce<unknown>(
    (current, segment) =>
      typeof current === "object" && current !== null ? (current as Record<string, unknown>)[segment] : undefined,
    value
  )

const checkSlot = (tree: Tree, value: unknown, slot: Slot): ConfigIssue | undefined => {
  const block = valueAt(value, slot.path)
  const known = slot.types.length === 0
    ? `no ${plural[slot.kind]} are registered`
    : `known ${slot.kind} types: ${slot.types.join(", ")}`
  if (typeof block !== "object" || block === null || Array.isArray(block)) {
    return issueAt(tree, slot.path, `expected a ${slot.kind} block (a mapping with a \`type\`), got ${describe(block)}`)
  }
  if (!("type" in block)) return issueAt(tree, slot.path, `missing required key \`type\`; ${known}`)
  const type = (block as { readonly type: unknown }).type
  if (typeof type !== "string") {
    return issueAt(tree, [...slot.path, "type"], `expected a ${slot.kind} type (a string), got ${describe(type)}`)
  }
  if (slot.types.length === 0) {
    return issueAt(tree, [...slot.path, "type"], `unknown ${slot.kind} type \`${type}\`; ${known}`)
  }
  if (!slot.types.includes(type)) {
    return issueAt(
      tree,
      [...slot.path, "type"],
      `unknown ${slot.kind} type \`${type}\`${DidYouMean.suffix(type, slot.types) || "."} Known: ${
        slot.types.join(", ")
      }`
    )
  }
  return undefined
}

// =============================================================================
// schema issues
// =============================================================================

const strip = (ast: SchemaAST.AST): SchemaAST.AST => {
  let current = ast
  for (let i = 0; i < 32; i++) {
    if (SchemaAST.isRefinement(current) || SchemaAST.isTransformation(current)) current = current.from
    else if (SchemaAST.isSuspend(current)) current = current.f()
    else return current
  }
  return current
}

const matchesType = (member: SchemaAST.AST, value: unknown): boolean => {
  const stripped = strip(member)
  if (!SchemaAST.isTypeLiteral(stripped)) return false
  const discriminator = stripped.propertySignatures.find((signature) => signature.name === "type")
  if (discriminator === undefined) return true
  const literal = strip(discriminator.type)
  return !SchemaAST.isLiteral(literal) ||
    (typeof value === "object" && value !== null && (value as Record<string, unknown>).type === literal.literal)
}

/** The keys a mapping may have at `path`, following unions by their `type`. */
const keysAt = (
  ast: SchemaAST.AST,
  value: unknown,
  path: ReadonlyArray<Segment>
): ReadonlyArray<string> | undefined => {
  const current = strip(ast)
  if (SchemaAST.isUnion(current)) {
    const members = current.types.filter((member) => matchesType(member, value))
    for (const member of members) {
      const keys = keysAt(member, value, path)
      if (keys !== undefined) return keys
    }
    return undefined
  }
  if (path.length === 0) {
    return SchemaAST.isTypeLiteral(current) ? current.propertySignatures.map((s) => String(s.name)) : undefined
  }
  const [head, ...rest] = path
  const child = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[head] : undefined
  if (SchemaAST.isTypeLiteral(current)) {
    const signature = current.propertySignatures.find((s) => s.name === head)
    return signature === undefined ? undefined : keysAt(signature.type, child, rest)
  }
  if (SchemaAST.isTupleType(current) && typeof head === "number") {
    const element = current.elements[head]?.type ?? current.rest[0]?.type
    return element === undefined ? undefined : keysAt(element, child, rest)
  }
  return undefined
}

const formatActual = (actual: unknown): string => {
  if (actual === undefined) return "nothing"
  const json = Either.try(() => JSON.stringify(actual))
  return Either.isRight(json) && json.right !== undefined ? json.right : String(actual)
}

const lowerDescription = (ast: SchemaAST.AST): string | undefined => {
  const description = Option.getOrUndefined(SchemaAST.getDescriptionAnnotation(ast))
  return description !== undefined && /^an? [a-z]/.test(description) ? description : undefined
}

/** What a schema expects, in words, ignoring the field documentation kept in `description`. */
const expectedOf = (ast: SchemaAST.AST): string => {
  switch (ast._tag) {
    case "Literal":
      return formatActual(ast.literal)
    case "Union": {
      const members = ast.types.filter((member) => member._tag !== "UndefinedKeyword")
      if (members.length > 0 && members.every((member) => member._tag === "Literal")) {
        return members.length === 1 ? expectedOf(members[0]) : `one of ${members.map(expectedOf).join(", ")}`
      }
      return members.map(expectedOf).join(" or ")
    }
    case "NumberKeyword":
      return "a number"
    case "StringKeyword":
      return "a string"
    case "BooleanKeyword":
      return "a boolean (true or false)"
    case "UndefinedKeyword":
    case "NeverKeyword":
      return "nothing"
    case "TupleType": {
      const item = ast.rest[0]?.type ?? ast.elements[0]?.type
      const of = item !== undefined && item._tag === "StringKeyword" ? " of strings" : ""
      return ast.elements.length > 0 && ast.rest.length > 0 ? `a non-empty list${of}` : `a list${of}`
    }
    case "TypeLiteral":
    case "Declaration":
      return "a mapping"
    case "Transformation":
      return expectedOf(ast.from)
    case "Refinement":
      return lowerDescription(ast) ?? expectedOf(ast.from)
    case "Suspend":
      return expectedOf(ast.f())
    default:
      return String(ast)
  }
}

interface Leaf {
  readonly path: ReadonlyArray<Segment>
  readonly issue:
    | ParseResult.Type
    | ParseResult.Missing
    | ParseResult.Unexpected
    | ParseResult.Forbidden
    | ParseResult.Refinement
}

const leavesOf = (issue: ParseResult.ParseIssue, path: ReadonlyArray<Segment>, out: Array<Leaf>): void => {
  switch (issue._tag) {
    case "Pointer": {
      const segments = Array.isArray(issue.path) ? issue.path : [issue.path]
      return leavesOf(issue.issue, [...path, ...(segments as Array<Segment>)], out)
    }
    case "Composite": {
      const issues = Array.isArray(issue.issues) ? issue.issues : [issue.issues as ParseResult.ParseIssue]
      for (const child of issues) leavesOf(child, path, out)
      return
    }
    case "Transformation":
      return leavesOf(issue.issue, path, out)
    case "Refinement":
      if (issue.kind === "From") return leavesOf(issue.issue, path, out)
      out.push({ path, issue })
      return
    default:
      out.push({ path, issue })
  }
}

const schemaIssues = (
  tree: Tree,
  value: unknown,
  error: ParseResult.ParseError,
  encoded: SchemaAST.AST,
  skip: (path: ReadonlyArray<Segment>) => boolean
): ReadonlyArray<ConfigIssue> => {
  const leaves: Array<Leaf> = []
  leavesOf(error.issue, [], leaves)
  const issues: Array<ConfigIssue> = []
  const seen = new Set<string>()
  // a union reports one leaf per member at the same path: merge them into one "expected a or b"
  const typeLeaves = new Map<PathKey, Array<SchemaAST.AST>>()
  for (const { issue, path } of leaves) {
    if (issue._tag !== "Type" && issue._tag !== "Refinement") continue
    const list = typeLeaves.get(keyOf(path)) ?? []
    list.push(issue.ast)
    typeLeaves.set(keyOf(path), list)
  }
  const expectedAt = (path: ReadonlyArray<Segment>): string => {
    const asts = (typeLeaves.get(keyOf(path)) ?? []).filter((ast) => ast._tag !== "UndefinedKeyword")
    if (asts.length > 1 && asts.every((ast) => ast._tag === "Literal")) {
      return `one of ${asts.map(expectedOf).join(", ")}`
    }
    return [...new Set(asts.map(expectedOf))].join(" or ")
  }
  for (const { issue, path } of leaves) {
    if (skip(path)) continue
    if (
      issue._tag === "Type" && issue.ast._tag === "UndefinedKeyword" &&
      leaves.some((other) => other.issue !== issue && startsWith(other.path, path))
    ) continue
    let next: ConfigIssue
    const last = path[path.length - 1]
    if (issue._tag === "Unexpected") {
      const name = String(last)
      const allowed = keysAt(encoded, value, path.slice(0, -1)) ?? []
      const hint = DidYouMean.suffix(name, allowed)
      next = issueAt(
        tree,
        path,
        `unknown key \`${name}\`${
          hint === "" && allowed.length > 0 ? `; expected one of: ${allowed.join(", ")}` : hint
        }`,
        "key"
      )
    } else if (issue._tag === "Missing" && typeof last === "number") {
      const list = path.slice(0, -1)
      next = issueAt(tree, list, `expected a non-empty list, got ${formatActual(valueAt(value, list))}`)
    } else if (issue._tag === "Missing") {
      next = issueAt(tree, path.slice(0, -1), `missing required key \`${String(last)}\``)
      next = new ConfigIssue({ ...next, path: formatPath(path) })
    } else if (issue._tag === "Type" || issue._tag === "Refinement") {
      next = issueAt(
        tree,
        path,
        `expected ${expectedAt(path) || expectedOf(issue.ast)}, got ${formatActual(issue.actual)}`
      )
    } else {
      next = issueAt(tree, path, issue.message ?? "is not allowed here")
    }
    const dedupe = `${next.path}\u0000${next.message}`
    if (seen.has(dedupe)) continue
    seen.add(dedupe)
    issues.push(next)
  }
  return issues
}

const startsWith = (path: ReadonlyArray<Segment>, prefix: ReadonlyArray<Segment>): boolean =>
  prefix.length <= path.length && prefix.every((segment, index) => path[index] === segment)

const byPosition = (a: ConfigIssue, b: ConfigIssue): number =>
  (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0)

const decodeTree = (
  tree: Tree,
  file: string,
  registries: PipelineConfig.Registries
): Effect.Effect<PipelineConfig.PipelineConfig, PipelineConfigError> =>
  Effect.gen(function*() {
    const names = new Set<string>()
    collectVariables(tree.value, names)
    const env = yield* readVariables(names)
    const interpolated = interpolateTree(tree, env)
    const value = interpolated.value
    const issues: Array<ConfigIssue> = [...interpolated.issues]
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      issues.push(
        issueAt(tree, [], `expected a mapping with version, sources, provider and sinks, got ${describe(value)}`)
      )
      return yield* new PipelineConfigError({ file, issues: issues as [ConfigIssue, ...Array<ConfigIssue>] })
    }
    const badSlots: Array<ReadonlyArray<Segment>> = []
    for (const slot of slotsOf(value, registries)) {
      const issue = checkSlot(tree, value, slot)
      if (issue !== undefined) {
        issues.push(issue)
        badSlots.push(slot.path)
      }
    }
    const schema = PipelineConfig.make(registries)
    const decoded = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(value)
    if (Either.isLeft(decoded)) {
      const skip = (path: ReadonlyArray<Segment>) =>
        interpolated.paths.has(keyOf(path)) || badSlots.some((prefix) => startsWith(path, prefix))
      issues.push(...schemaIssues(tree, value, decoded.left, SchemaAST.encodedAST(schema.ast), skip))
    }
    if (issues.length > 0 || Either.isLeft(decoded)) {
      const sorted = issues.length > 0 ?
        [...issues].sort(byPosition) :
        [new ConfigIssue({ path: "", message: "the pipeline does not match its schema" })]
      return yield* new PipelineConfigError({ file, issues: sorted as [ConfigIssue, ...Array<ConfigIssue>] })
    }
    return decoded.right
  })

// =============================================================================
// service
// =============================================================================

/**
 * Decodes pipeline text (YAML). Pure apart from reading interpolated variables through `Config`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeText = (
  text: string,
  file: string,
  registries: PipelineConfig.Registries
): Effect.Effect<PipelineConfig.PipelineConfig, PipelineConfigError> =>
  Either.match(fromYaml(text), {
    onLeft: (issues) =>
      Effect.fail(new PipelineConfigError({ file, issues: issues as [ConfigIssue, ...Array<ConfigIssue>] })),
    onRight: (tree) => decodeTree(tree, file, registries)
  })

/**
 * Decodes a pipeline given as a plain object (the Promise API). Strings are interpolated too; issues
 * have paths but no positions.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeObject = (
  object: unknown,
  registries: PipelineConfig.Registries,
  file = "<object>"
): Effect.Effect<PipelineConfig.PipelineConfig, PipelineConfigError> => decodeTree(fromObject(object), file, registries)

/**
 * Reads and decodes pipeline files.
 *
 * @since 0.1.0
 * @category context
 */
export class PipelineLoader extends Effect.Service<PipelineLoader>()("@asrflow/core/PipelineLoader", {
  accessors: true,
  effect: Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path

    const load = Effect.fn("PipelineLoader.load")(
      function*(file: string, registries: PipelineConfig.Registries) {
        const text = yield* fs.readFileString(file).pipe(
          Effect.mapError((error) =>
            new PipelineConfigError({
              file,
              issues: [
                new ConfigIssue({
                  path: "",
                  message: error._tag === "SystemError" && error.reason === "NotFound" ?
                    "the pipeline file does not exist" :
                    `cannot read the pipeline file: ${error.message}`
                })
              ]
            })
          )
        )
        const config = yield* decodeText(text, file, registries)
        return { config, file, baseDir: path.dirname(path.resolve(file)) } satisfies Loaded
      }
    )

    const loadText = (text: string, file: string, registries: PipelineConfig.Registries) =>
      decodeText(text, file, registries)

    return { load, loadText, decodeObject } as const
  })
}) {}
