import { assert, describe, it } from "@effect/vitest"
import { JSONSchema, Schema } from "effect"
import type { SourceComponent } from "../src/Component.js"
import * as Sources from "../src/Sources.js"

const examples: Record<string, unknown> = {
  files: { type: "files", include: ["audio/**/*.{wav,mp3,m4a,flac,ogg,opus,webm}"], exclude: ["**/drafts/**"] },
  urls: { type: "urls", urls: ["https://example.com/a.wav"] },
  manifest: { type: "manifest", path: "inputs.csv", format: "csv", base_dir: "audio" }
}

describe("Sources", () => {
  it("registers files, urls and manifest; each type matches its Config literal and decodes its example", () => {
    assert.deepStrictEqual(Sources.registry.types, ["files", "urls", "manifest"])
    for (const component of Sources.registry.components as ReadonlyArray<SourceComponent>) {
      assert.strictEqual(component.kind, "source")
      assert.isAbove(component.description.length, 10)
      const decoded = Schema.decodeUnknownSync(component.config, { onExcessProperty: "error" })(
        examples[component.type]
      )
      assert.strictEqual(decoded.type, component.type)
      const wrongType = Schema.decodeUnknownEither(component.config)({
        ...(examples[component.type] as object),
        type: "x"
      })
      assert.strictEqual(wrongType._tag, "Left")
    }
  })

  it("documents every config field for the JSON Schema", () => {
    for (const component of Sources.registry.components as ReadonlyArray<SourceComponent>) {
      const schema = JSONSchema.make(component.config) as any
      const definition = schema.$defs?.[schema.$ref?.split("/").pop()] ?? schema
      for (const [name, property] of Object.entries<any>(definition.properties)) {
        if (name === "type") continue
        assert.isString(property.description, `${component.type}.${name} has no description`)
      }
    }
  })
})
