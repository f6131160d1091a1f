import { Sentence, Transcript, Word } from "@asrflow/core/Transcript"
import { assert, describe, it } from "@effect/vitest"
import * as Cues from "../src/internal/cues.js"

const transcript = (sentences: ReadonlyArray<Sentence>, text = sentences.map((s) => s.text).join("")) =>
  new Transcript({ text, model: "m", provider: "p", status: "SUCCEEDED", sentences, raw: {} })

const shaping = { maxLineChars: 42, maxLines: 2 }

describe("Cues", () => {
  it("counts East Asian wide characters as two columns", () => {
    assert.strictEqual(Cues.width("abc"), 3)
    assert.strictEqual(Cues.width("你好，"), 6)
    assert.strictEqual(Cues.width("Qwen模型"), 8)
  })

  it("never lets cues of overlapping channels overlap, and merges one swallowed whole", () => {
    const shaped = Cues.fromTranscript(
      transcript([
        new Sentence({ id: 0, channelId: 0, beginMs: 0, endMs: 3000, text: "channel zero speaks" }),
        new Sentence({ id: 1, channelId: 1, beginMs: 1000, endMs: 2000, text: "channel one" }),
        new Sentence({ id: 2, channelId: 1, beginMs: 1000, endMs: 4000, text: "same start" })
      ]),
      shaping
    )
    assert.deepStrictEqual(shaped.cues.map((cue) => [cue.startMs, cue.endMs, cue.lines.join("|")]), [
      [0, 1000, "channel zero speaks"],
      [1000, 4000, "channel one|same start"]
    ])
  })

  it("gives a zero-length sentence a positive duration and skips empty sentences", () => {
    const shaped = Cues.fromTranscript(
      transcript([
        new Sentence({ id: 0, beginMs: 500, endMs: 500, text: "blip" }),
        new Sentence({ id: 1, beginMs: 600, endMs: 900, text: "  " })
      ], "blip"),
      shaping
    )
    assert.deepStrictEqual(shaped.cues, [{ startMs: 500, endMs: 501, lines: ["blip"] }])
  })

  it("uses the words themselves when they do not match the sentence text", () => {
    const shaped = Cues.fromTranscript(
      transcript([
        new Sentence({
          id: 0,
          beginMs: 0,
          endMs: 2000,
          text: "something else entirely",
          words: [
            new Word({ beginMs: 0, endMs: 800, text: "hello", punctuation: "," }),
            new Word({ beginMs: 900, endMs: 1500, text: "世" }),
            new Word({ beginMs: 1500, endMs: 2000, text: "界", punctuation: "。" })
          ]
        })
      ]),
      shaping
    )
    assert.deepStrictEqual(shaped.cues[0].lines, ["hello,世界。"])
  })

  it("never splits a multi-character word across cues", () => {
    const words = ["今天", "天气", "非常", "好"].map((text, index) =>
      new Word({ beginMs: index * 1000, endMs: index * 1000 + 900, text })
    )
    const shaped = Cues.fromTranscript(
      transcript([new Sentence({ id: 0, beginMs: 0, endMs: 4000, text: "今天天气非常好", words })]),
      { maxLineChars: 5, maxLines: 1 }
    )
    assert.deepStrictEqual(shaped.cues.map((cue) => cue.lines[0]), ["今天", "天气", "非常", "好"])
    assert.deepStrictEqual(shaped.cues.map((cue) => [cue.startMs, cue.endMs]), [[0, 900], [1000, 1900], [2000, 2900], [
      3000,
      3900
    ]])
  })

  it("cuts a token wider than a line", () => {
    const url = "https://example.com/" + "a".repeat(60)
    const shaped = Cues.fromTranscript(
      transcript([new Sentence({ id: 0, beginMs: 0, endMs: 8000, text: url })]),
      { maxLineChars: 30, maxLines: 2 }
    )
    const lines = shaped.cues.flatMap((cue) => cue.lines)
    assert.strictEqual(lines.join(""), url)
    for (const line of lines) assert.isAtMost(line.length, 30)
  })

  it("spans the item duration, then billed seconds, then a length estimate when a transcript has no timestamps", () => {
    const untimed = new Transcript({ text: "hello there", model: "m", provider: "p", status: "SUCCEEDED", raw: {} })
    assert.isTrue(Cues.fromTranscript(untimed, shaping).untimed)
    assert.strictEqual(Cues.fromTranscript(untimed, shaping, 2500).cues[0].endMs, 2500)
    assert.strictEqual(Cues.fallbackDurationMs(new Transcript({ ...untimed, usageSeconds: 3 }), undefined), 3000)
    assert.strictEqual(Cues.fallbackDurationMs(untimed, undefined), 1000)
  })
})

describe("Cues line breaks", () => {
  it("keeps closing punctuation with the token before and opening quotes with the token after", () => {
    const text = "他说：「今天的天气非常好」。然后我们去了公园。"
    const shaped = Cues.fromTranscript(
      transcript([new Sentence({ id: 0, beginMs: 0, endMs: 6000, text })]),
      { maxLineChars: 12, maxLines: 1 }
    )
    const lines = shaped.cues.map((cue) => cue.lines[0])
    assert.strictEqual(lines.join(""), text)
    for (const line of lines) {
      assert.notMatch(line, /^[，。：」]/, `no line starts with closing punctuation: ${line}`)
      assert.notMatch(line, /「$/, `no line ends with an opening quote: ${line}`)
    }
  })

  it("keeps the spacing of Latin text and joins CJK and Latin without inventing spaces", () => {
    const shaped = Cues.fromTranscript(
      transcript([
        new Sentence({ id: 0, beginMs: 0, endMs: 3000, text: "He said \"hello there\" (twice) to 张三 today." })
      ]),
      shaping
    )
    assert.deepStrictEqual(shaped.cues[0].lines, ["He said \"hello there\" (twice) to 张三", "today."])
  })
})
