/**
 * The pipeline file reference in Markdown, rendered from the same schema annotations as
 * `asrflow schema`, so the README cannot drift from the code (a test compares them).
 *
 * @since 0.1.0
 */
import { PipelineConfig } from "@asrflow/core"
import type { Component } from "@asrflow/core"
import { JSONSchema } from "effect"

// a JSON Schema node; any keyword may appear, so every read is checked
type Json = Readonly<Record<string, unknown>>

const isJson = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)
const json = (value: unknown): Json => isJson(value) ? value : {}
const list = (value: unknown): ReadonlyArray<unknown> => Array.isArray(value) ? value : []
const without = (node: Json, key: string): Json =>
  Object.fromEntries(Object.entries(node).filter(([name]) => name !== key))

const resolve = (raw: unknown, root: Json): Json => {
  const node = json(raw)
  if (typeof node.$ref === "string" && node.$ref.startsWith("#/$defs/")) {
    const target = json(json(root.$defs)[node.$ref.slice("#/$defs/".length)])
    return resolve({ ...target, ...without(node, "$ref") }, root)
  }
  if (Array.isArray(node.allOf)) {
    return node.allOf.reduce(
      (merged: Json, member: unknown) => ({ ...resolve(member, root), ...merged }),
      without(node, "allOf")
    )
  }
  return node
}

const typeOf = (raw: unknown, root: Json): string => {
  const node = resolve(raw, root)
  if (Array.isArray(node.enum)) return node.enum.map((value) => `\`${JSON.stringify(value)}\``).join(" \\| ")
  if (Array.isArray(node.anyOf)) return node.anyOf.map((member) => typeOf(member, root)).join(" \\| ")
  const component = node.type === "object" ? list(resolve(json(node.properties).type, root).enum) : []
  if (component.length === 1) return `\`${String(component[0])}\``
  if (node.type === "array") return `list of ${typeOf(node.items, root)}`
  return typeof node.type === "string" ? node.type : "any"
}

/** The mapping a property takes: itself, or the mapping member of a union (`auto` or a mapping). */
const mappingOf = (node: Json, root: Json): Json | undefined => {
  const candidates = [node, ...list(node.anyOf).map((member) => resolve(member, root))]
  return candidates.find((candidate) =>
    candidate.type === "object" && Object.keys(json(candidate.properties)).length > 0
  )
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ")

const table = (raw: unknown, root: Json, skip: ReadonlyArray<string> = []): Array<string> => {
  const node = resolve(raw, root)
  const required = new Set(list(node.required))
  const rows = Object.entries(json(node.properties))
    .filter(([key]) => !skip.includes(key))
    .map(([key, value]) => {
      const property = resolve(value, root)
      const keys = Object.keys(json(mappingOf(property, root)?.properties))
      const nested = keys.length > 0 && !keys.includes("type")
        ? ` Keys: ${keys.map((name) => `\`${name}\``).join(", ")}.`
        : ""
      return `| \`${key}\` | ${typeOf(value, root)} | ${required.has(key) ? "yes" : ""} | ${
        cell(`${typeof property.description === "string" ? property.description : ""}${nested}`)
      } |`
    })
  return rows.length === 0 ? [] : ["| key | type | required | description |", "|---|---|---|---|", ...rows]
}

const section = (title: string, components: ReadonlyArray<Component.Any>) =>
  components.flatMap((component) => {
    const root = json(JSONSchema.make(component.config))
    const nested = Object.entries(json(resolve(root, root).properties)).flatMap(([key, value]) => {
      const mapping = mappingOf(resolve(value, root), root)
      return mapping === undefined ? [] : [[key, mapping] as const]
    })
    return [
      `### ${title} \`${component.type}\``,
      "",
      component.description,
      "",
      ...table(root, root, ["type"]),
      "",
      ...nested.flatMap(([key, value]) => [`\`${key}\`:`, "", ...table(value, root), ""])
    ]
  })

/**
 * @since 0.1.0
 * @category utils
 */
export const markdown = (registries: PipelineConfig.Registries): string => {
  // the schema as decoded, without the `${VAR}` alternatives that `asrflow schema` adds for editors
  const root = json(JSONSchema.make(PipelineConfig.make(registries)))
  return [
    "### Top level",
    "",
    ...table(json(root.$defs).Pipeline ?? root, root),
    "",
    ...section("source", registries.sources.components),
    ...section("provider", registries.providers.components),
    ...section("sink", registries.sinks.components)
  ].join("\n").replace(/\n{3,}/g, "\n\n").trim() + "\n"
}
