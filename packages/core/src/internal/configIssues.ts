/**
 * Turns what is wrong with a pipeline document into `ConfigIssue`s in the user's words: unknown component
 * types (with "did you mean"), then every schema problem (unknown keys, missing keys, wrong types), each at
 * its position.
 *
 * @internal
 */
import type { ParseResult } from "effect"
import { Either, Option, SchemaAST } from "effect"
import * as DidYouMean from "../DidYouMean.js"
import type * as PipelineConfig from "../PipelineConfig.js"
import { ConfigIssue } from "../PipelineConfigError.js"
import type { PathKey, Segment, Tree } from "./yamlTree.js"
import { formatPath, issueAt, keyOf } from "./yamlTree.js"

// =============================================================================
// component slots: `type` checks with friendly messages
// =============================================================================

interface Slot {
  readonly path: ReadonlyArray<Segment>
  readonly kind: "source" | "provider" | "sink"
  readonly types: ReadonlyArray<string>
}

const plural = { source: "sources", provider: "providers", sink: "sinks" } as const

export const describe = (value: unknown): string => {
  if (value === null || value === undefined) return "nothing"
  if (Array.isArray(value)) return "a list"
  if (typeof value === "object") return "a mapping"
  return JSON.stringify(value)
}

export const slotsOf = (value: unknown, registries: PipelineConfig.Registries): ReadonlyArray<Slot> => {
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

export const valueAt = (value: unknown, path: ReadonlyArray<Segment>): unknown =>
  path.reduce<unknown>(
    (current, segment) =>
      typeof current === "object" && current !== null ? (current as Record<string, unknown>)[segment] : undefined,
    value
  )

export const checkSlot = (tree: Tree, value: unknown, slot: Slot): ConfigIssue | undefined => {
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
      const of = item !== undefined && strip(item)._tag === "StringKeyword" ? " of strings" : ""
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

/** The message a filter gave for its own failure (`Schema.filter` returning a string), if any. */
const customMessage = (issue: ParseResult.Refinement): string | undefined =>
  issue.kind === "Predicate" && issue.issue._tag === "Type" && typeof issue.issue.message === "string"
    ? issue.issue.message
    : undefined

export const schemaIssues = (
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
  // the string values a union of literals at `path` allows: a misspelt one gets a suggestion
  const literalsAt = (path: ReadonlyArray<Segment>): ReadonlyArray<string> =>
    (typeLeaves.get(keyOf(path)) ?? []).flatMap((ast) =>
      ast._tag === "Literal" && typeof ast.literal === "string" ? [ast.literal] : []
    )
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
    } else if (issue._tag === "Refinement" && customMessage(issue) !== undefined) {
      // a filter that explains itself (an unknown model with its suggestion) says it better than its type
      next = issueAt(tree, path, customMessage(issue)!)
    } else if (issue._tag === "Type" || issue._tag === "Refinement") {
      next = issueAt(
        tree,
        path,
        `expected ${expectedAt(path) || expectedOf(issue.ast)}, got ${formatActual(issue.actual)}${
          typeof issue.actual === "string" ? DidYouMean.suffix(issue.actual, literalsAt(path)) : ""
        }`
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

export const startsWith = (path: ReadonlyArray<Segment>, prefix: ReadonlyArray<Segment>): boolean =>
  prefix.length <= path.length && prefix.every((segment, index) => path[index] === segment)

export const byPosition = (a: ConfigIssue, b: ConfigIssue): number =>
  (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0)
