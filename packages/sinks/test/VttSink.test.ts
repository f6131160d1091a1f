import { assert, describe, it } from "@effect/vitest"
import * as Timecode from "../src/internal/timecode.js"
import * as VttSink from "../src/VttSink.js"
import * as Goldens from "./utils/goldens.js"
import { subtitleSuite } from "./utils/subtitleSuite.js"

subtitleSuite({
  name: "VttSink",
  ext: "vtt",
  component: VttSink.component,
  goldens: Goldens.vtt,
  config: (fields) => new VttSink.Config({ type: "vtt", ...fields }),
  checkHeader: (text, nodes) => {
    assert.isTrue(text.startsWith("WEBVTT\n"), "the WEBVTT header")
    assert.strictEqual(nodes[0]?.type, "header")
  }
})

describe("VttSink timecodes", () => {
  it("formats vtt timecodes", () => {
    assert.strictEqual(Timecode.vtt(1000), "00:00:01.000")
    assert.strictEqual(Timecode.vtt(3_723_004), "01:02:03.004")
    assert.strictEqual(Timecode.vtt(0), "00:00:00.000")
    assert.strictEqual(Timecode.vtt(360_000_000), "100:00:00.000")
  })
})
