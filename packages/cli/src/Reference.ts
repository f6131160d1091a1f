/**
 * The pipeline file reference in Markdown, rendered from the same schema annotations as
 * `asrflow schema`, so the README cannot drift from the code (a test compares them).
 *
 * @since 0.1.0
 */
import { PipelineConfig } from "@asrflow/core"
import type { Component } from "@asrflow/core"
import { JSONSchema } from "effect"

// a JSON Schema document, walked generically (any nested keyword may appear)
type Json = { readonly [key: string]: any }

const resolve = (node: Json, root: Json): Json => {
  if (typeof node.$ref === "string" && node.$ref.startsWith("#/$defs/")) {
    const target = root.$defs?.[node.$ref.slice("#/$defs/".length)] ?? {}
    return resolve({ ...target, ...Object.fromEntries(Object.entries(node).filter(([key]) => key !== "$ref")) }, root)
  }
  if (Array.isArray(node.allOf)) {
    const own = Object.fromEntries(Object.entries(node).filter(([key]) => key !== "allOf"))
    return node.allOf.reduce((merged: Json, member: Json) => ({ ...resolve(member, root), ...merged }), own)
  }
  return node
}

const typeOf = (raw: Json, root: Json): string => {
  const node = resolve(raw, root)
  if (Array.isArray(node.enum)) return node.enum.map((value: unknown) => `\`${JSON.stringify(value)}\``).join(" \\| ")
  if (Array.isArray(node.anyOf)) return node.anyOf.map((member: Json) => typeOf(member, root)).join(" \\| ")
  const component = node.type === "object" ? resolve(node.properties?.type ?? {}, root).enum : undefined
  if (Array.isArray(component) && component.length === 1) return `\`${component[0]}\``
  if (node.type === "array") return `list of ${typeOf(node.items ?? {}, root)}`
  if (node.type === "object") return "object"
  if (node.type === "integer") return "integer"
  return typeof node.type === "string" ? node.type : "any"
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ")

const table = (raw: Json, root: Json, skip: ReadonlyArray<string> = []): Array<string> => {
  const node = resolve(raw, root)
  const required = new Set<string>(node.required ?? [])
  const rows = Object.entries<Json>(node.properties ?? {})
    .filter(([key]) => !skip.includes(key))
    .map(([key, value]) => {
      const property = resolve(value, root)
      const nested = property.type === "object" && property.properties && !property.properties.type
        ? ` Keys: ${Object.keys(property.properties).map((name) => `\`${name}\``).join(", ")}.`
        : ""
      return `| \`${key}\` | ${typeOf(value, root)} | ${required.has(key) ? "yes" : ""} | ${
        cell(`${property.description ?? ""}${nested}`)
      } |`
    })
  return rows.length === 0 ? [] : ["| key | type | required | description |", "|---|---|---|---|", ...rows]
}

const section = (title: string, components: ReadonlyArray<Component.Any>) =>
  components.flatMap((component) => {
    const root = JSONSchema.make(component.config) as Json
    const nested = Object.entries<Json>(resolve(root, root).properties ?? {})
      .map(([key, value]) => [key, resolve(value, root)] as const)
      .filter(([, value]) => value.type === "object" && value.properties)
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
  const root = PipelineConfig.jsonSchema(registries) as Json
  return [
    "### Top level",
    "",
    ...table(root.$defs?.Pipeline ?? root, root),
    "",
    ...section("source", registries.sources.components),
    ...section("provider", registries.providers.components),
    ...section("sink", registries.sinks.components)
  ].join("\n").replace(/\n{3,}/g, "\n\n").trim() + "\n"
}
