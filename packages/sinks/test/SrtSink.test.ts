import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { parseSync } from "subtitle"
import * as Cues from "../src/internal/cues.js"
import * as Timecode from "../src/internal/timecode.js"
import * as SrtSink from "../src/SrtSink.js"
import * as fixtures from "./fixtures.js"
import { assertAllRight, assertGolden, runSink, tempRoot } from "./utils.js"

const compact = (text: string) => text.replace(/\s+/g, "")

/** Parses with a real subtitle parser and checks numbering, timing and shaping. */
const checkParsed = (text: string, shaping: { maxLineChars: number; maxLines: number }, untimed = false) => {
  const nodes = parseSync(text)
  const cues = nodes.flatMap((node) => node.type === "cue" ? [node.data] : [])
  assert.isFalse(text.startsWith("WEBVTT"))
  const numbers = [...text.matchAll(/^(\d+)\n\d\d:/gm)].map((match) => Number(match[1]))
  assert.deepStrictEqual(numbers, cues.map((_, index) => index + 1), "sequential numbering from 1")
  let previousEnd = 0
  for (const cue of cues) {
    assert.isTrue(cue.start < cue.end, `cue ${cue.start} --> ${cue.end} has a positive duration`)
    assert.isTrue(cue.start >= previousEnd, `cue at ${cue.start} does not overlap the one ending at ${previousEnd}`)
    previousEnd = cue.end
    const lines = cue.text.split("\n")
    if (!untimed) assert.isAtMost(lines.length, shaping.maxLines)
    for (const line of lines) assert.isAtMost(Cues.width(line), shaping.maxLineChars, line)
  }
  return cues
}

const defaults = { maxLineChars: 42, maxLines: 2 }

layer(NodeContext.layer)("SrtSink", (it) => {
  for (const [name, result] of Object.entries(fixtures.goldens)) {
    it.scoped(`writes the ${name} golden, which a real srt parser reads back`, () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { dir, outputRoot } = yield* tempRoot
        assertAllRight(yield* runSink(SrtSink.component, new SrtSink.Config({ type: "srt" }), dir, [result]))
        const text = yield* fs.readFileString(`${outputRoot}/transcripts/${result.item.outputKey}.srt`)
        yield* assertGolden(`${name}.srt`, text)
        const cues = checkParsed(text, defaults, name === "sync")
        if (name === "empty") {
          assert.strictEqual(cues.length, 0)
        } else {
          assert.isAbove(cues.length, 0)
          assert.strictEqual(
            compact(cues.map((cue) => cue.text).join("")),
            compact(result.transcript.text),
            "no text is lost or invented"
          )
        }
      }))
  }

  it.scoped("splits a long sentence into cues that start and end exactly on word timestamps", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const config = new SrtSink.Config({ type: "srt", max_line_chars: 16, max_lines: 1 })
      assertAllRight(yield* runSink(SrtSink.component, config, dir, [fixtures.long, fixtures.chinese]))
      for (const result of [fixtures.long, fixtures.chinese]) {
        const text = yield* fs.readFileString(`${outputRoot}/transcripts/${result.item.outputKey}.srt`)
        const cues = checkParsed(text, { maxLineChars: 16, maxLines: 1 })
        const worded = result.transcript.sentences.filter((sentence) => sentence.words !== undefined)
        const begins = new Set(worded.flatMap((sentence) => sentence.words!.map((word) => word.beginMs)))
        const ends = new Set(worded.flatMap((sentence) => sentence.words!.map((word) => word.endMs)))
        const wordedCues = cues.filter((cue) => cue.end <= Math.max(...ends))
        assert.isAtLeast(wordedCues.length, 3)
        for (const cue of wordedCues) {
          assert.isTrue(begins.has(cue.start), `cue starts on a word: ${cue.start}`)
          assert.isTrue(ends.has(cue.end), `cue ends on a word: ${cue.end}`)
        }
      }
    }))

  it.scoped("spans the whole duration with one cue and warns when a sync transcript has no timestamps", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const warnings: Array<string> = []
      const collect = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") warnings.push(String(message))
      })
      assertAllRight(
        yield* runSink(SrtSink.component, new SrtSink.Config({ type: "srt" }), dir, [fixtures.sync]).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, collect))
        )
      )
      const text = yield* fs.readFileString(`${outputRoot}/transcripts/sync/short.srt`)
      const cues = checkParsed(text, defaults, true)
      assert.strictEqual(cues.length, 1)
      assert.strictEqual(cues[0].start, 0)
      assert.strictEqual(cues[0].end, 4200)
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0], "qwen3-asr-flash-filetrans")
      assert.include(warnings[0], "timestamp_granularities")
      assert.include(warnings[0], "sync/short")
    }))

  it.scoped("writes nothing for a failed item", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      assertAllRight(yield* runSink(SrtSink.component, new SrtSink.Config({ type: "srt" }), dir, [fixtures.failed]))
      assert.isFalse(yield* fs.exists(`${outputRoot}/transcripts/bad/broken.srt`))
    }))
})

describe("SrtSink timecodes", () => {
  it("formats srt timecodes", () => {
    assert.strictEqual(Timecode.srt(1000), "00:00:01,000")
    assert.strictEqual(Timecode.srt(3_723_004), "01:02:03,004")
    assert.strictEqual(Timecode.srt(0), "00:00:00,000")
    assert.strictEqual(Timecode.srt(360_000_000), "100:00:00,000")
  })
})
