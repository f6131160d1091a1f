import type { SinkComponent } from "@asrflow/core/Component"
import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { parseSync } from "subtitle"
import type { NodeList } from "subtitle"
import * as Cues from "../../src/internal/cues.js"
import * as fixtures from "../fixtures.js"
import { assertAllRight, assertGolden, runSink, tempRoot } from "../utils.js"
import type * as Goldens from "./goldens.js"

/** One subtitle sink under test. */
export interface Format {
  readonly name: string
  readonly ext: "srt" | "vtt"
  readonly component: SinkComponent
  /** The goldens this sink writes (one per fixture). */
  readonly goldens: ReadonlyArray<Goldens.Golden>
  readonly config: (fields: { readonly max_line_chars?: number; readonly max_lines?: number }) => unknown
  readonly checkHeader: (text: string, nodes: NodeList) => void
}

const compact = (text: string) => text.replace(/\s+/g, "")

/** A diarized cue's speaker markup (SRT `[S1] `, WebVTT `<v Speaker 1>`), which the parser keeps in the text. */
const SPEAKER = /^(?:\[S(\d+)\] |<v Speaker (\d+)>)/

/** The speaker number a cue's text starts with, and the text without it. */
const speakerOf = (text: string): { readonly speaker: number | undefined; readonly text: string } => {
  const match = SPEAKER.exec(text)
  return match === null
    ? { speaker: undefined, text }
    : { speaker: Number(match[1] ?? match[2]), text: text.slice(match[0].length) }
}

/** Parses with a real subtitle parser and checks numbering, timing and shaping. */
const checkParsed = (
  format: Format,
  text: string,
  shaping: { maxLineChars: number; maxLines: number },
  untimed = false
) => {
  const nodes = parseSync(text)
  const cues = nodes.flatMap((node) => node.type === "cue" ? [node.data] : [])
  format.checkHeader(text, nodes)
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

/**
 * The behaviour both subtitle sinks share, run against one of them: goldens read back by a real
 * parser, cues on word timestamps, the untimed sync case, and failed items.
 */
export const subtitleSuite = (format: Format) =>
  layer(NodeContext.layer)(format.name, (it) => {
    for (const golden of format.goldens) {
      const { name, result } = golden
      it.scoped(`writes the ${name} golden, which a real ${format.ext} parser reads back`, () =>
        Effect.gen(function*() {
          const text = yield* assertGolden(golden)
          const cues = checkParsed(format, text, defaults, name === "sync")
          if (name === "empty") {
            assert.strictEqual(cues.length, 0)
          } else {
            assert.isAbove(cues.length, 0)
            assert.strictEqual(
              compact(cues.map((cue) => speakerOf(cue.text).text).join("")),
              compact(result.transcript.text),
              "no text is lost or invented"
            )
            const speakers = cues.map((cue) => speakerOf(cue.text).speaker)
            assert.deepStrictEqual(
              speakers,
              name === "meeting" ? [1, 1, 2, 1] : speakers.map(() => undefined),
              "every diarized cue names its speaker, and only those"
            )
          }
        }))
    }

    it.scoped("splits a long sentence into cues that start and end exactly on word timestamps", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { dir, outputRoot } = yield* tempRoot
        const config = format.config({ max_line_chars: 16, max_lines: 1 })
        assertAllRight(yield* runSink(format.component, config, dir, [fixtures.long, fixtures.chinese]))
        for (const result of [fixtures.long, fixtures.chinese]) {
          const text = yield* fs.readFileString(`${outputRoot}/transcripts/${result.item.outputKey}.${format.ext}`)
          const cues = checkParsed(format, text, { maxLineChars: 16, maxLines: 1 })
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
          yield* runSink(format.component, format.config({}), dir, [fixtures.sync]).pipe(
            Effect.provide(Logger.replace(Logger.defaultLogger, collect))
          )
        )
        const text = yield* fs.readFileString(`${outputRoot}/transcripts/sync/short.${format.ext}`)
        const cues = checkParsed(format, text, defaults, true)
        assert.strictEqual(cues.length, 1)
        assert.strictEqual(cues[0].start, 0)
        assert.strictEqual(cues[0].end, 4200)
        assert.strictEqual(warnings.length, 1)
        assert.include(warnings[0], "use a model that returns sentence timestamps")
        assert.include(warnings[0], "timestamp_granularities")
        assert.include(warnings[0], "sync/short")
      }))

    it.scoped("writes nothing for a failed item", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { dir, outputRoot } = yield* tempRoot
        assertAllRight(yield* runSink(format.component, format.config({}), dir, [fixtures.failed]))
        assert.isFalse(yield* fs.exists(`${outputRoot}/transcripts/bad/broken.${format.ext}`))
      }))
  })
