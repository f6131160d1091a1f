/**
 * `${VAR}` interpolation over a whole pipeline document: which variables it names, their values (read
 * through effect `Config`), and the document with them substituted (plain scalars re-typed as YAML would).
 *
 * @internal
 */
import { Config, Effect, Option } from "effect"
import type { ConfigIssue } from "../PipelineConfigError.js"
import * as Interpolate from "./interpolate.js"
import type { PathKey, Segment, Tree } from "./yamlTree.js"
import { issueAt, keyOf } from "./yamlTree.js"

export const collectVariables = (value: unknown, into: Set<string>): void => {
  if (typeof value === "string") {
    if (Interpolate.hasReference(value)) { for (const name of Interpolate.variables(value)) into.add(name) }
  } else if (Array.isArray(value)) {
    for (const item of value) collectVariables(item, into)
  } else if (typeof value === "object" && value !== null) {
    for (const item of Object.values(value)) collectVariables(item, into)
  }
}

export const readVariables = (names: ReadonlySet<string>): Effect.Effect<Map<string, string>> =>
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

export interface Interpolated {
  readonly value: unknown
  readonly issues: ReadonlyArray<ConfigIssue>
  readonly paths: ReadonlySet<PathKey>
}

export const interpolateTree = (tree: Tree, env: ReadonlyMap<string, string>): Interpolated => {
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
