import { Command, FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as AudioPauses from "../src/AudioPauses.js"
import * as Ffmpeg from "../src/Ffmpeg.js"

/** 10 ms frames at `db` dBFS, `seconds` long. */
const level = (db: number, seconds: number): Array<number> =>
  Array.from({ length: seconds * 100 }, () => 32768 * 32768 * 10 ** (db / 10))

const options = { silenceDb: -36, minPauseMs: 300 }

describe("AudioPauses", () => {
  it("finds runs under the threshold that last the minimum pause", () => {
    const frames = [...level(-20, 1), ...level(-60, 0.5), ...level(-20, 1), ...level(-60, 0.2), ...level(-20, 1)]
    assert.deepStrictEqual(AudioPauses.pausesOf({ frameMs: 10, frames }, options), [{ beginMs: 1000, endMs: 1500 }])
  })

  it("raises the threshold above a noise floor louder than it", () => {
    // speech at -20 dBFS over a -40 dBFS hiss: under the fixed -36 dB nothing is silent
    const frames = [...level(-40, 1), ...level(-20, 5), ...level(-40, 0.8), ...level(-20, 5), ...level(-40, 1)]
    assert.closeTo(AudioPauses.noiseFloorDb({ frameMs: 10, frames }), -40, 0.01)
    assert.deepStrictEqual(AudioPauses.pausesOf({ frameMs: 10, frames }, options), [
      { beginMs: 0, endMs: 1000 },
      { beginMs: 6000, endMs: 6800 },
      { beginMs: 11_800, endMs: 12_800 }
    ])
  })

  it.scoped("decodes any container in one pass: its exact length, its pauses and its loudness", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "asrflow-pauses-" })
      const file = path.join(dir, "tone-pause-tone.mp3")
      // 2 s of tone, 1 s of silence, 1.5 s of tone, as 44.1 kHz stereo mp3
      const code = yield* Command.exitCode(Command.make(
        "ffmpeg",
        ...[
          "-hide_banner",
          "-v",
          "error",
          "-y",
          "-f",
          "lavfi",
          "-i",
          "sine=frequency=300:duration=2:sample_rate=44100"
        ],
        ...["-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo:d=1"],
        ...["-f", "lavfi", "-i", "sine=frequency=500:duration=1.5:sample_rate=44100"],
        ...["-filter_complex", "[0][1][2]concat=n=3:v=0:a=1", "-ac", "2", "-c:a", "libmp3lame", file]
      ))
      assert.strictEqual(code, 0)
      const ffmpeg = yield* Ffmpeg.locate
      const analysis = yield* AudioPauses.analyze(ffmpeg, file, options)
      assert.closeTo(analysis.durationMs, 4_500, 80)
      assert.strictEqual(analysis.pauses.length, 1)
      assert.closeTo(analysis.pauses[0]!.beginMs, 2_000, 60)
      assert.closeTo(analysis.pauses[0]!.endMs, 3_000, 60)
      assert.closeTo(analysis.loudness.frames.length, 450, 8)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("says in one line what ffmpeg could not decode", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const file = path.join(yield* fs.makeTempDirectoryScoped({ prefix: "asrflow-pauses-" }), "not-audio.wav")
      yield* fs.writeFileString(file, "this is not audio at all")
      const error = yield* Effect.flip(AudioPauses.analyze(yield* Ffmpeg.locate, file, options))
      assert.strictEqual(error.reason, "Failed")
      assert.match(error.message, /^ffmpeg could not decode .*not-audio\.wav: .+/)
      assert.notInclude(error.message, "\n")
    }).pipe(Effect.provide(NodeContext.layer)))
})
