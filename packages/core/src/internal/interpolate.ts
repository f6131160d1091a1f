/**
 * `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}` and `${VAR?message}` in strings.
 * `$${` is a literal `${`. Defaults and messages are literal text (no nesting).
 *
 * @since 0.1.0
 */

/** @internal */
export type Part =
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Var"; readonly name: string; readonly op: "" | ":-" | "-" | ":?" | "?"; readonly arg: string }

/** @internal */
export type Parsed = { readonly _tag: "Ok"; readonly parts: ReadonlyArray<Part> } | {
  readonly _tag: "Invalid"
  readonly message: string
}

const VAR = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?)(.*))?$/s

/** @internal */
export const parse = (template: string): Parsed => {
  const parts: Array<Part> = []
  let text = ""
  let i = 0
  while (i < template.length) {
    if (template.startsWith("$${", i)) {
      text += "${"
      i += 3
    } else if (template.startsWith("${", i)) {
      const end = template.indexOf("}", i + 2)
      if (end === -1) {
        return { _tag: "Invalid", message: `unclosed \`\${\` in "${template}" (write \`$\${\` for a literal \`\${\`)` }
      }
      const body = template.slice(i + 2, end)
      const match = VAR.exec(body)
      if (match === null) {
        return {
          _tag: "Invalid",
          message:
            `invalid variable reference \`\${${body}}\`; expected \${NAME}, \${NAME:-default} or \${NAME:?message}`
        }
      }
      if (text !== "") parts.push({ _tag: "Text", text })
      text = ""
      parts.push({ _tag: "Var", name: match[1], op: (match[2] ?? "") as "", arg: match[3] ?? "" })
      i = end + 1
    } else {
      text += template[i]
      i++
    }
  }
  if (text !== "") parts.push({ _tag: "Text", text })
  return { _tag: "Ok", parts }
}

/** @internal */
export const hasReference = (template: string): boolean => template.includes("${")

/**
 * The names of the variables a template refers to.
 *
 * @internal
 */
export const variables = (template: string): ReadonlyArray<string> => {
  const parsed = parse(template)
  return parsed._tag === "Ok" ?
    parsed.parts.flatMap((part) => part._tag === "Var" ? [part.name] : []) :
    []
}

/** @internal */
export type Result = { readonly _tag: "Ok"; readonly value: string } | {
  readonly _tag: "Missing"
  readonly messages: ReadonlyArray<string>
}

/**
 * Substitutes every reference. All missing variables of the template are reported together.
 *
 * @internal
 */
export const interpolate = (template: string, lookup: (name: string) => string | undefined): Result => {
  const parsed = parse(template)
  if (parsed._tag === "Invalid") return { _tag: "Missing", messages: [parsed.message] }
  const messages: Array<string> = []
  let value = ""
  for (const part of parsed.parts) {
    if (part._tag === "Text") {
      value += part.text
      continue
    }
    const found = lookup(part.name)
    const unset = found === undefined
    const emptyOrUnset = unset || found === ""
    switch (part.op) {
      case "": {
        if (unset) {
          messages.push(
            `environment variable \`${part.name}\` is not set (use \${${part.name}:-default} for a default)`
          )
        } else value += found
        break
      }
      case ":-":
      case "-": {
        value += (part.op === ":-" ? emptyOrUnset : unset) ? part.arg : found
        break
      }
      case ":?":
      case "?": {
        if (part.op === ":?" ? emptyOrUnset : unset) {
          messages.push(
            `environment variable \`${part.name}\` is ${unset ? "not set" : "empty"}${
              part.arg === "" ? "" : `: ${part.arg}`
            }`
          )
        } else value += found
        break
      }
    }
  }
  return messages.length > 0 ? { _tag: "Missing", messages } : { _tag: "Ok", value }
}
