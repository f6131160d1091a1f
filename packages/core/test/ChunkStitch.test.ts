import { assert, describe, it } from "@effect/vitest"
import * as ChunkStitch from "../src/ChunkStitch.js"

describe("ChunkStitch", () => {
  it("keeps the words of an overlap once, dropping the half-heard words at its edges", () => {
    // the chunks overlap by 1 s: "quick brown" was heard by both; "fo" is the first chunk hearing half of "fox",
    // "own" the second hearing half of "brown"
    const { text } = ChunkStitch.stitch([
      { startMs: 0, endMs: 10_500, text: "The quick brown fo" },
      { startMs: 9_500, endMs: 20_000, text: "own quick brown fox jumps over the dog." }
    ], [])
    assert.strictEqual(text, "The quick brown fox jumps over the dog.")
  })

  it("de-duplicates CJK text character by character and joins it without spaces", () => {
    const { text } = ChunkStitch.stitch([
      { startMs: 0, endMs: 10_500, text: "今天我们讨论预算" },
      { startMs: 9_500, endMs: 20_000, text: "讨论预算和进度。" }
    ], [])
    assert.strictEqual(text, "今天我们讨论预算和进度。")
  })

  it("leaves chunks that do not overlap whole, even when they share words", () => {
    const { text } = ChunkStitch.stitch([
      { startMs: 0, endMs: 10_000, text: "We said hello." },
      { startMs: 10_000, endMs: 20_000, text: "Hello again." }
    ], [])
    assert.strictEqual(text, "We said hello. Hello again.")
  })

  it("keeps both texts when an overlap has no common word", () => {
    const seam = ChunkStitch.seam("alpha beta", "gamma delta", 1000)
    assert.deepStrictEqual(seam, { keepFirst: "alpha beta".length, resumeSecond: 0 })
  })

  it("places sentences on the voiced stretches, offset by each chunk's start", () => {
    // recording pauses at 4-5 s, 10-12 s (the cut) and 15-16 s
    const pauses = [
      { beginMs: 4_000, endMs: 5_000 },
      { beginMs: 10_000, endMs: 12_000 },
      { beginMs: 15_000, endMs: 16_000 }
    ]
    const { sentences, text } = ChunkStitch.stitch([
      { startMs: 0, endMs: 11_000, text: "One two. Three four.", language: "en" },
      { startMs: 11_000, endMs: 20_000, text: "Five six. Seven eight." }
    ], pauses)
    assert.strictEqual(text, "One two. Three four. Five six. Seven eight.")
    assert.deepStrictEqual(
      sentences.map((s) => [s.id, s.beginMs, s.endMs, s.text, s.language]),
      [
        [0, 0, 4_000, "One two.", "en"],
        [1, 5_000, 10_000, "Three four.", "en"],
        [2, 12_000, 15_000, "Five six.", undefined],
        [3, 16_000, 20_000, "Seven eight.", undefined]
      ]
    )
  })

  it("spreads sentences over the voiced audio by length when the counts differ", () => {
    const { sentences } = ChunkStitch.stitch([{ startMs: 0, endMs: 10_000, text: "Aaaa. Bbbb. Cccc. Dddd." }], [
      { beginMs: 4_000, endMs: 6_000 }
    ])
    assert.deepStrictEqual(sentences.map((s) => [s.beginMs, s.endMs]), [[0, 2_000], [2_000, 4_000], [6_000, 8_000], [
      8_000,
      10_000
    ]])
  })

  it("moves the model's own sentence times by the chunk's offset", () => {
    const { sentences } = ChunkStitch.stitch([
      { startMs: 0, endMs: 10_000, text: "A.", sentences: [{ beginMs: 100, endMs: 900, text: "A." }] },
      { startMs: 10_000, endMs: 20_000, text: "B.", sentences: [{ beginMs: 200, endMs: 800, text: "B." }] }
    ], [])
    assert.deepStrictEqual(sentences.map((s) => [s.beginMs, s.endMs, s.text]), [[100, 900, "A."], [
      10_200,
      10_800,
      "B."
    ]])
  })

  it("splits sentences after their final punctuation", () => {
    assert.deepStrictEqual(ChunkStitch.sentencesOf("Hi there! How are you? 好的。谢谢"), [
      "Hi there!",
      "How are you?",
      "好的。",
      "谢谢"
    ])
  })
})
