/**
 * The pipeline loader substitutes `${VAR}` references in every string value before it decodes
 * (see interpolate.ts), so a number, a boolean or an enum may be written as a reference:
 * `concurrency: ${CONCURRENCY:-8}`. This widens a JSON Schema the same way, so that editors
 * accept what the loader accepts: every scalar that is not already a free string also accepts a string
 * holding a reference. Bounds next to a `$ref` (draft 2020-12) constrain numbers only, so they still hold.
 *
 * @since 0.1.0
 */

type Node = Readonly<Record<string, unknown>>

/** @internal */
export const definition = "VariableReference"

const reference = { $ref: `#/$defs/${definition}` }

// `$${` is a literal `${`, never a reference
const pattern = "(?<!\\$)\\$\\{[A-Za-z_][A-Za-z0-9_]*(?:(?::-|-|:\\?|\\?)[^}]*)?\\}"

const annotations = new Set(["description", "title", "examples", "default", "$comment"])
const stringConstraints = ["enum", "const", "pattern", "minLength", "maxLength", "format"]
const scalarTypes = new Set(["number", "integer", "boolean"])

const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null && !Array.isArray(value)

const isConstrainedScalar = (node: Node): boolean => {
  // a `$ref` is widened where it points to
  if ("$ref" in node) return false
  if (typeof node.type === "string" && scalarTypes.has(node.type)) return true
  if (node.type === "string") return stringConstraints.some((key) => key in node)
  return node.type === undefined && ("enum" in node || "const" in node)
}

const widenScalar = (node: Node): Node => {
  const outer: Record<string, unknown> = {}
  const inner: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    if (annotations.has(key)) outer[key] = value
    else inner[key] = value
  }
  return { ...outer, anyOf: [inner, reference] }
}

const mapValues = (value: unknown, f: (node: unknown) => unknown): unknown =>
  isNode(value) ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, f(item)])) : value

const mapItems = (value: unknown, f: (node: unknown) => unknown): unknown =>
  Array.isArray(value) ? value.map(f) : f(value)

// only keywords whose values are schemas are walked: `enum`, `examples` or `default` hold plain data
const widen = (raw: unknown): unknown => {
  if (!isNode(raw)) return raw
  if (isConstrainedScalar(raw)) return widenScalar(raw)
  const node: Record<string, unknown> = { ...raw }
  for (const key of ["$defs", "properties", "patternProperties"]) {
    if (key in node) node[key] = mapValues(node[key], widen)
  }
  for (const key of ["anyOf", "allOf", "oneOf", "prefixItems"]) {
    if (key in node) node[key] = mapItems(node[key], widen)
  }
  for (const key of ["items", "additionalProperties", "not", "if", "then", "else", "contains"]) {
    if (key in node) node[key] = widen(node[key])
  }
  return node
}

/**
 * The schema, widened to accept `${VAR}` references wherever the loader substitutes them.
 *
 * @internal
 */
export const allowReferences = <A extends object>(root: A): A => {
  const widened = widen(root)
  const defs = isNode(widened) && isNode(widened.$defs) ? widened.$defs : {}
  return {
    ...(widened as A),
    $defs: {
      ...defs,
      [definition]: {
        type: "string",
        pattern,
        description:
          "An environment variable reference, substituted when the file is loaded: ${NAME}, ${NAME:-default} or ${NAME:?message}.",
        examples: ["${CONCURRENCY:-8}"]
      }
    }
  }
}
