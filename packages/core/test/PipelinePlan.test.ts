import { FetchHttpClient } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Schema, Stream } from "effect"
import { AudioItem } from "../src/AudioItem.js"
import { AudioProbe } from "../src/AudioProbe.js"
import { SourceError } from "../src/AudioSource.js"
import type * as Component from "../src/Component.js"
import * as Pipeline from "../src/Pipeline.js"
import * as PipelineLoader from "../src/PipelineLoader.js"
import * as Registry from "../src/Registry.js"
import { RunContext } from "../src/RunContext.js"
import * as Sources from "../src/Sources.js"
import { registries as fakes } from "./utils/components.js"
import { runContext } from "./utils/sources.js"

/**
 * A source of numbered entries, endless unless `count` says how many: every seventh a bad row, every
 * fifth a local file that does not exist (its probe fails), the others URLs (the probe passes them
 * through). `pulled` counts the entries the plan asked for.
 */
const numbered = (count?: number) => {
  const state = { pulled: 0 }
  const entry = (n: number) => {
    state.pulled++
    if (n % 7 === 6) {
      return Either.left(
        new SourceError({ source: "numbered", location: `row ${n}`, reason: "InvalidRow", description: "bad row" })
      )
    }
    const missing = n % 5 === 4
    const source = missing ? `/nonexistent-asrflow-plan/${n}.wav` : `https://example.com/${n}.wav`
    return Either.right(
      new AudioItem({ id: source, source, kind: missing ? "file" : "url", outputKey: `k${n}`, origin: "numbered" })
    )
  }
  const component: Component.SourceComponent<{ readonly type: "numbered" }, never> = {
    kind: "source",
    type: "numbered",
    description: "numbered test entries",
    config: Schema.Struct({ type: Schema.Literal("numbered") }),
    make: () => {
      const all = Stream.iterate(0, (n) => n + 1)
      return Stream.map(count === undefined ? all : Stream.take(all, count), entry)
    }
  }
  const registries = { ...fakes, sources: Registry.make(...Sources.registry.components, component) }
  return { state, registries }
}

const planEnvironment = Layer.mergeAll(
  AudioProbe.Default,
  FetchHttpClient.layer,
  Layer.succeed(RunContext, runContext("/tmp"))
).pipe(Layer.provideMerge(NodeContext.layer))

const configFor = (registries: typeof fakes) =>
  PipelineLoader.decodeObject({
    version: 1,
    sources: [{ type: "numbered" }],
    provider: { type: "qwen" },
    sinks: [{ type: "text" }]
  }, registries)

const describeEntry = (entry: Pipeline.PlannedItem): string =>
  entry.rejected !== undefined ? `reject ${entry.item.id}` : `${entry.plan?.route} ${entry.item.id}`

const expected = (n: number): string =>
  n % 7 === 6
    ? `reject row ${n}`
    : n % 5 === 4
    ? `reject /nonexistent-asrflow-plan/${n}.wav`
    : `fake https://example.com/${n}.wav`

describe("Pipeline.planned", () => {
  it.effect("streams the plan: the first rows of an endless source come out without listing the rest", () =>
    Effect.gen(function*() {
      const { registries, state } = numbered()
      const config = yield* configFor(registries)
      const first = yield* Stream.runCollect(Stream.take(Pipeline.planned(config, registries), 20))
      assert.deepStrictEqual(
        Chunk.toReadonlyArray(first).map(describeEntry),
        Array.from({ length: 20 }, (_, n) => expected(n))
      )
      // one chunk of rows at most was listed ahead of what was taken
      assert.isAtMost(state.pulled, 2 * 256)
    }).pipe(Effect.provide(planEnvironment)))

  it.effect("keeps the listing order across chunks, with rejected rows and failed probes in place", () =>
    Effect.gen(function*() {
      const { registries } = numbered(700)
      const config = yield* configFor(registries)
      const streamed = yield* Stream.runCollect(Pipeline.planned(config, registries))
      const rows = Chunk.toReadonlyArray(streamed)
      assert.deepStrictEqual(rows.map(describeEntry), Array.from({ length: 700 }, (_, n) => expected(n)))
      const missing = rows[4]!
      assert.include(missing.rejected, "the file does not exist")
      assert.deepStrictEqual(missing.outputs, [])
      // the collected form gives the same plan
      const collected = yield* Pipeline.plan(config, registries)
      assert.deepStrictEqual(collected.map(describeEntry), rows.map(describeEntry))
    }).pipe(Effect.provide(planEnvironment)))
})
