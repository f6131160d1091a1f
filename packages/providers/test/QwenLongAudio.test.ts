import { AudioItem } from "@asrflow/core/AudioItem"
import * as Ledger from "@asrflow/core/Ledger"
import * as RouteEstimate from "@asrflow/core/RouteEstimate"
import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as path from "node:path"
import * as QwenConfig from "../src/QwenConfig.js"
import * as QwenLongAudio from "../src/QwenLongAudio.js"

const item = (minutes: number, fields: Partial<ConstructorParameters<typeof AudioItem>[0]> = {}) =>
  new AudioItem({
    id: "talk.flac",
    source: "/audio/talk.flac",
    kind: "file",
    outputKey: "talk",
    origin: "test",
    container: "flac",
    mime: "audio/flac",
    sizeBytes: Math.round(minutes * 60 * 16_000),
    durationMs: minutes * 60_000,
    fingerprint: `fp-${minutes}`,
    ...fields
  })

const url = (minutes: number) => item(minutes, { kind: "url", source: "https://example.com/talk.flac" })

const config = (fields: Record<string, unknown> = {}) => QwenConfig.decode({ type: "qwen", ...fields })

describe("QwenLongAudio", () => {
  it("routes each item by model, long_audio, length and locality", () => {
    const cases: ReadonlyArray<[Record<string, unknown>, AudioItem, QwenLongAudio.Route]> = [
      // today's behaviour stays: a sync model takes what fits and rejects the rest itself
      [{}, item(2), "sync"],
      [{}, item(60), "sync"],
      [{ model: "qwen3-asr-flash-filetrans" }, item(60), "async"],
      [{ model: "auto", async: true }, item(2), "async"],
      // model: auto defaults to long_audio: auto
      [{ model: "auto" }, item(2), "sync"],
      [{ model: "auto" }, item(60), "decide"],
      [{ model: "auto" }, url(60), "async"],
      [{ model: "auto", long_audio: "async" }, item(60), "async"],
      // split: anything longer than a chunk, local files only
      [{ model: "auto", long_audio: "split" }, item(60), "split"],
      [{ model: "auto", long_audio: "split" }, item(4), "split"],
      [{ model: "auto", long_audio: "split" }, item(2), "sync"],
      [{ model: "auto", long_audio: "split" }, url(60), "async"],
      [{ long_audio: "split" }, item(60), "split"],
      [{ long_audio: "auto" }, item(60), "split"],
      // a filetrans model stays async unless told
      [{ model: "qwen3-asr-flash-filetrans", long_audio: "split" }, item(60), "split"],
      [{ model: "qwen3-asr-flash-filetrans", long_audio: "split" }, item(2), "sync"],
      [{ model: "qwen3-asr-flash-filetrans", long_audio: "auto" }, item(60), "async"]
    ]
    for (const [fields, audio, expected] of cases) {
      assert.strictEqual(
        QwenLongAudio.routeOf(config(fields), audio),
        expected,
        `${JSON.stringify(fields)} with ${audio.durationMs! / 60_000} min (${audio.kind})`
      )
    }
  })

  it("sends split chunks to a sync model, never longer than its limit", () => {
    assert.strictEqual(
      QwenLongAudio.syncModelFor(config({ model: "qwen3-asr-flash-filetrans" }), {}),
      "qwen3-asr-flash"
    )
    assert.strictEqual(QwenLongAudio.syncModelFor(config({ model: "qwen-audio-asr" }), {}), "qwen-audio-asr")
    assert.strictEqual(QwenLongAudio.maxChunkMs(config(), "qwen3-asr-flash"), 180_000)
    assert.strictEqual(
      QwenLongAudio.maxChunkMs(config({ split: { max_chunk_seconds: 900 } }), "qwen3-asr-flash"),
      300_000
    )
    assert.strictEqual(
      QwenLongAudio.maxChunkMs(config({ split: { max_chunk_seconds: 900 } }), "qwen-audio-asr"),
      240_000
    )
  })

  it("keeps the request key of items long_audio does not touch, and marks those it does", () => {
    const plain = config({ model: "auto" })
    const split = config({ model: "auto", long_audio: "split" })
    assert.strictEqual(QwenLongAudio.requestKey(split, item(2)), QwenLongAudio.requestKey(plain, item(2)))
    assert.notStrictEqual(QwenLongAudio.requestKey(split, item(60)), QwenLongAudio.requestKey(plain, item(60)))
    assert.include(QwenLongAudio.requestKey(split, item(60)), "\"long_audio\":\"split\"")
    // auto's choice is recorded per item instead: the key does not follow what was measured
    assert.notInclude(QwenLongAudio.requestKey(plain, item(60)), "long_audio")
  })

  it.scoped("auto takes the route expected to finish first, from the latencies in the ledger, and keeps it", () =>
    Effect.gen(function*() {
      const dir = yield* (yield* FileSystem.FileSystem).makeTempDirectoryScoped({ prefix: "asrflow-long-audio-" })
      const file = path.join(dir, "ledger.sqlite")
      const ledger = Ledger.layer([]).pipe(Layer.provide(SqliteClient.layer({ filename: file })), Layer.orDie)
      const auto = config({ model: "auto", rate_limit: { requests_per_minute: 100 } })
      yield* Effect.gen(function*() {
        const store = yield* Ledger.Ledger
        // nothing measured: the guesses say split (an hour in ~30 s against a 5-minute queue)
        const guessed = yield* QwenLongAudio.estimate(auto, item(60))
        assert.isBelow(guessed.split, guessed.async)
        assert.strictEqual(yield* QwenLongAudio.choose(auto, item(60)), "split")
        // a fast queue measured in earlier runs, slow sync calls: async, for a new item
        for (let i = 0; i < 3; i++) {
          yield* QwenLongAudio.observeAsync("qwen3-asr-flash-filetrans", {
            task_id: `t${i}`,
            task_status: "SUCCEEDED",
            submit_time: "2026-01-01 10:00:00.000",
            scheduled_time: "2026-01-01 10:00:02.000",
            end_time: "2026-01-01 10:00:12.000"
          }, 3_600_000)
          yield* QwenLongAudio.observeSync("qwen3-asr-flash", 90_000 + i * 1000, 170_000)
        }
        assert.lengthOf(yield* store.observations("qwen", "async:qwen3-asr-flash-filetrans", 10), 3)
        const measured = yield* QwenLongAudio.estimate(auto, item(60, { fingerprint: "fp-new" }))
        assert.isBelow(measured.async, measured.split)
        assert.strictEqual(yield* QwenLongAudio.choose(auto, item(60, { fingerprint: "fp-new" })), "async")
        // the item routed before keeps its route
        assert.strictEqual(yield* QwenLongAudio.choose(auto, item(60)), "split")
        assert.isTrue(Option.isSome(yield* store.stage("fp-new", "route")))
      }).pipe(Effect.provide(ledger))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("samples sync latencies at most once a second per model, not once per request", () =>
    Effect.gen(function*() {
      const dir = yield* (yield* FileSystem.FileSystem).makeTempDirectoryScoped({ prefix: "asrflow-long-audio-" })
      const ledger = Ledger.layer([]).pipe(
        Layer.provide(SqliteClient.layer({ filename: path.join(dir, "ledger.sqlite") })),
        Layer.orDie
      )
      yield* Effect.gen(function*() {
        const store = yield* Ledger.Ledger
        const observe = QwenLongAudio.syncSampler()
        // requests answered at these times (ms): the first of each second per model is kept
        for (const [model, now] of [["a", 0], ["a", 200], ["b", 300], ["a", 999], ["a", 1000], ["a", 2500]] as const) {
          yield* observe(model, now, 4_000 + now, 10_000)
        }
        const latencies = (model: string) =>
          Effect.map(
            store.observations("qwen", `sync:${model}`, 10),
            (states) => states.map((state) => (state as { readonly latencyMs: number }).latencyMs)
          )
        assert.deepStrictEqual(yield* latencies("a"), [6_500, 5_000, 4_000], "newest first")
        assert.deepStrictEqual(yield* latencies("b"), [4_300])
      }).pipe(Effect.provide(ledger))
    }).pipe(Effect.provide(NodeContext.layer)))

  it("estimates split by chunk starts at the lane's rate plus one sync call", () => {
    const hour = 3_600_000
    const at100 = RouteEstimate.splitMs({ durationMs: hour, maxChunkMs: 180_000, requestsPerMinute: 100, sync: [] })
    const at10 = RouteEstimate.splitMs({ durationMs: hour, maxChunkMs: 180_000, requestsPerMinute: 10, sync: [] })
    assert.isBelow(at100, 60_000)
    assert.isAbove(at10, 6 * at100 / 2, "a tenth of the rate: chunk starts dominate")
    // a line through measured sync calls of varied lengths
    const sync = [{ latencyMs: 3000, audioMs: 10_000 }, { latencyMs: 12_000, audioMs: 100_000 }, {
      latencyMs: 20_000,
      audioMs: 180_000
    }]
    assert.closeTo(RouteEstimate.syncLatencyMs(sync, 150_000), 17_000, 1_000)
  })
})
