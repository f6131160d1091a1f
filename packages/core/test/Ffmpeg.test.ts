import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Ffmpeg from "../src/Ffmpeg.js"

describe("Ffmpeg", () => {
  it.effect("uses the system's ffmpeg when it is on PATH", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* Ffmpeg.locate, { path: "ffmpeg", from: "system" })
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("falls back to the binary inside the npm package", () =>
    Effect.gen(function*() {
      const bundled = yield* Ffmpeg.fromNpm
      assert.isDefined(bundled, `${Ffmpeg.npmPackage} is an optional dependency installed here`)
      const found = yield* Ffmpeg.locateFrom({ system: "asrflow-no-such-ffmpeg", npm: Ffmpeg.fromNpm })
      assert.deepStrictEqual(found, { path: bundled!, from: "npm" })
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("without either, fails with one line naming both ways to get it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Ffmpeg.locateFrom({ system: "asrflow-no-such-ffmpeg", npm: Effect.succeed(undefined) })
      )
      assert.strictEqual(error.reason, "NotFound")
      assert.strictEqual(error.message, Ffmpeg.notFoundMessage)
      assert.include(error.message, "apt-get install ffmpeg")
      assert.include(error.message, "@ffmpeg-installer/ffmpeg")
      assert.notInclude(error.message, "\n")
    }).pipe(Effect.provide(NodeContext.layer)))
})
