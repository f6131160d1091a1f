import { assert, describe, it } from "@effect/vitest"
import * as ChunkPlan from "../src/ChunkPlan.js"

/** Loudness of `seconds` of audio in 10 ms frames: loud everywhere except where `quiet` says. */
const loudness = (seconds: number, quiet: ReadonlyArray<readonly [number, number]> = []): ChunkPlan.Loudness => {
  const frames = new Float32Array(seconds * 100).fill(1e6)
  for (const [from, to] of quiet) frames.fill(10, from / 10, to / 10)
  return { frameMs: 10, frames }
}

const options = { maxChunkMs: 60_000, minChunkMs: 10_000, overlapMs: 1000 }

const inPause = (cut: number, pauses: ReadonlyArray<ChunkPlan.Pause>) =>
  pauses.some((pause) => cut > pause.beginMs && cut < pause.endMs)

describe("ChunkPlan", () => {
  it("keeps a recording within the limit whole", () => {
    const chunks = ChunkPlan.plan({ durationMs: 60_000, pauses: [], loudness: loudness(60) }, options)
    assert.deepStrictEqual(chunks, [{ index: 0, startMs: 0, endMs: 60_000, cut: "end" }])
  })

  it("cuts in the longest pause near the target, within the limits", () => {
    // 150 s: three chunks of about 50 s; pauses near 50 s (short and long) and near 100 s
    const pauses = [
      { beginMs: 20_000, endMs: 23_000 }, // long but far from the target
      { beginMs: 44_000, endMs: 44_400 },
      { beginMs: 47_000, endMs: 48_200 }, // the longest near 50 s
      { beginMs: 98_000, endMs: 98_500 },
      { beginMs: 130_000, endMs: 130_300 }
    ]
    const chunks = ChunkPlan.plan({ durationMs: 150_000, pauses, loudness: loudness(150) }, options)
    assert.deepStrictEqual(chunks.map((chunk) => chunk.cut), ["pause", "pause", "end"])
    assert.strictEqual(chunks[0]!.endMs, 47_600)
    assert.strictEqual(chunks[1]!.endMs, 98_250)
    for (const chunk of chunks) {
      assert.isAtMost(chunk.endMs - chunk.startMs, options.maxChunkMs)
      if (chunk.cut !== "end") assert.isAtLeast(chunk.endMs - chunk.startMs, options.minChunkMs)
    }
    for (let i = 1; i < chunks.length; i++) {
      assert.strictEqual(chunks[i]!.startMs, chunks[i - 1]!.endMs, "pause cuts leave no gap and no overlap")
      assert.isTrue(inPause(chunks[i]!.startMs, pauses))
    }
  })

  it("cuts inside a pause that runs past the longest chunk, at the limit", () => {
    const pauses = [{ beginMs: 58_000, endMs: 75_000 }]
    const chunks = ChunkPlan.plan({ durationMs: 100_000, pauses, loudness: loudness(100) }, options)
    assert.strictEqual(chunks[0]!.endMs, 60_000)
    assert.strictEqual(chunks[0]!.cut, "pause")
  })

  it("with no pause, cuts at the quietest 100 ms window and overlaps the chunks", () => {
    // a quiet dip at 41.0-41.1 s, the rest loud; no pause long enough anywhere
    const chunks = ChunkPlan.plan(
      { durationMs: 90_000, pauses: [], loudness: loudness(90, [[41_000, 41_100]]) },
      options
    )
    assert.strictEqual(chunks.length, 2)
    assert.strictEqual(chunks[0]!.cut, "quiet")
    assert.strictEqual(chunks[0]!.endMs, 41_050 + 500)
    assert.strictEqual(chunks[1]!.startMs, 41_050 - 500)
    assert.strictEqual(chunks[0]!.endMs - chunks[1]!.startMs, options.overlapMs)
  })

  it("never makes a chunk longer than the limit, even with overlaps", () => {
    const chunks = ChunkPlan.plan({ durationMs: 600_000, pauses: [], loudness: loudness(600) }, options)
    assert.isAbove(chunks.length, 10)
    for (const chunk of chunks) assert.isAtMost(chunk.endMs - chunk.startMs, options.maxChunkMs)
    assert.strictEqual(chunks.at(-1)!.endMs, 600_000)
    assert.deepStrictEqual(chunks.map((chunk) => chunk.index), chunks.map((_, i) => i))
  })

  it("finds the quietest window", () => {
    const quiet = ChunkPlan.quietestWindow(loudness(10, [[7_200, 7_300]]), 1_000, 9_000)
    assert.strictEqual(quiet, 7_250)
    assert.isUndefined(ChunkPlan.quietestWindow(loudness(1), 5_000, 9_000))
  })
})
