import { PipelineConfig, Registry } from "@asrflow/core"
import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as Sinks from "../src/Sinks.js"

describe("Sinks", () => {
  it("registers every sink once, each type matching its config literal", () => {
    assert.deepStrictEqual([...Sinks.registry.types], ["text", "json", "jsonl", "srt", "vtt", "evidence"])
    for (const component of Sinks.registry.components) {
      assert.strictEqual(component.kind, "sink")
      const decoded = Schema.decodeUnknownEither(component.config as Schema.Schema<any, any>)({
        type: component.type
      })
      assert.isTrue(Either.isRight(decoded), component.type)
      if (Either.isRight(decoded)) assert.strictEqual(decoded.right.type, component.type)
      assert.isTrue(component.description.length > 0)
    }
  })

  it("decodes documented configs with defaults and rejects bad values", () => {
    const decode = Schema.decodeUnknownEither(Sinks.Config, { onExcessProperty: "error", errors: "all" })
    const srt = decode({ type: "srt", max_line_chars: 32 })
    assert.isTrue(Either.isRight(srt))
    if (Either.isRight(srt)) {
      assert.strictEqual(srt.right.max_lines, 2)
      assert.strictEqual(srt.right.dir, "transcripts")
    }
    const jsonl = decode({ type: "jsonl" })
    if (Either.isRight(jsonl)) assert.strictEqual(jsonl.right.path, "transcripts.jsonl")
    const evidence = decode({ type: "evidence" })
    if (Either.isRight(evidence)) assert.strictEqual(evidence.right.dir, "responses")
    assert.isTrue(Either.isLeft(decode({ type: "srt", max_lines: 0 })))
    assert.isTrue(Either.isLeft(decode({ type: "text", colour: "blue" })))
    assert.isTrue(Either.isLeft(decode({ type: "pdf" })))
  })

  it("feeds the pipeline JSON Schema with every sink and its field descriptions", () => {
    const jsonSchema = JSON.stringify(PipelineConfig.jsonSchema({
      sources: Registry.make(),
      providers: Registry.make(),
      sinks: Sinks.registry
    }))
    for (const type of Sinks.registry.types) assert.include(jsonSchema, `"${type}"`)
    assert.include(jsonSchema, "display columns")
    assert.include(jsonSchema, "max_line_chars")
  })
})
