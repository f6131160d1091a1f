import { assert, describe, it } from "@effect/vitest"
import * as LaneState from "../src/LaneState.js"

describe("LaneState", () => {
  describe("estimate", () => {
    it("is the accepted starts between two throttled starts over the time between them", () => {
      // 30 accepted in the 30 s between two moments the server had nothing left: 60 per minute
      assert.strictEqual(LaneState.estimate([[0, 100], [30_000, 130]]), 60)
    })

    it("prefers the newest earlier mark that leaves 20 accepted starts, so a changed limit shows at once", () => {
      // 600 RPM until 60 s, then 300 RPM: the newest 20 accepted say 300
      const marks: LaneState.State["marks"] = [[0, 0], [60_000, 600], [64_000, 620]]
      assert.strictEqual(LaneState.estimate(marks), 300)
    })

    it("falls back to the oldest mark that leaves a few accepted starts, and says nothing with fewer", () => {
      assert.strictEqual(LaneState.estimate([[0, 0], [4_000, 3], [10_000, 10]]), 60)
      assert.isUndefined(LaneState.estimate([[0, 0], [10_000, 3]]))
      assert.isUndefined(LaneState.estimate([[0, 0], [500, 10]]))
      assert.isUndefined(LaneState.estimate([[0, 0]]))
    })
  })

  describe("tryStart", () => {
    const policy: LaneState.Policy = { initial: 60, min: 1, max: 600, adaptive: true }

    it("waits for the next slot, then records the start", () => {
      const [first, started] = LaneState.tryStart(LaneState.initial(policy, 0), policy, 0)
      assert.deepStrictEqual(first, { _tag: "Started", ticket: { startedAt: 0, seq: 1 } })
      const [early] = LaneState.tryStart(started, policy, 400)
      assert.deepStrictEqual(early, { _tag: "Wait", ms: 600 })
    })
  })
})
