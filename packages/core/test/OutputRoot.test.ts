import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import * as path from "node:path"
import * as OutputRoot from "../src/OutputRoot.js"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("OutputRoot", () => {
  it.effect("defaults to ${OUTPUT_DIR:-output}/<provider folder>, takes --output-dir then output_dir first", () =>
    Effect.gen(function*() {
      const resolve = (options: { readonly flag?: string; readonly pipeline?: string }, env = {}) =>
        OutputRoot.resolve({ ...options, providerFolder: "vendor-asr" }).pipe(withEnv(env))
      assert.strictEqual(yield* resolve({}), path.resolve("output/vendor-asr"))
      assert.strictEqual(yield* resolve({}, { OUTPUT_DIR: "/tmp/x/" }), "/tmp/x/vendor-asr")
      assert.strictEqual(yield* resolve({}, { OUTPUT_DIR: "" }), path.resolve("output/vendor-asr"))
      assert.strictEqual(
        yield* resolve({ pipeline: "pipeline-out" }, { OUTPUT_DIR: "/tmp/x" }),
        path.resolve("pipeline-out")
      )
      assert.strictEqual(yield* resolve({ flag: "/cli-out", pipeline: "pipeline-out" }), "/cli-out")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("makes sortable run ids from the clock", () =>
    Effect.gen(function*() {
      const id = yield* OutputRoot.runId
      assert.match(id, /^19700101T000000Z-[0-9a-f]{4}$/)
    }))
})
