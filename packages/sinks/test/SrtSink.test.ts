import { assert, describe, it } from "@effect/vitest"
import * as Timecode from "../src/internal/timecode.js"
import * as SrtSink from "../src/SrtSink.js"
import * as Goldens from "./utils/goldens.js"
import { subtitleSuite } from "./utils/subtitleSuite.js"

subtitleSuite({
  name: "SrtSink",
  ext: "srt",
  component: SrtSink.component,
  goldens: Goldens.srt,
  config: (fields) => new SrtSink.Config({ type: "srt", ...fields }),
  checkHeader: (text) => assert.isFalse(text.startsWith("WEBVTT"))
})

describe("SrtSink timecodes", () => {
  it("formats srt timecodes", () => {
    assert.strictEqual(Timecode.srt(1000), "00:00:01,000")
    assert.strictEqual(Timecode.srt(3_723_004), "01:02:03,004")
    assert.strictEqual(Timecode.srt(0), "00:00:00,000")
    assert.strictEqual(Timecode.srt(360_000_000), "100:00:00,000")
  })
})
