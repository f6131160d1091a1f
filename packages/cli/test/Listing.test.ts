import { startEmulator } from "@asrflow/emulator"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { speak } from "./utils/Audio.js"
import { emulatorEnv, folderPipeline, runCli, tempDir } from "./utils/Cli.js"

// The binary lists folders with Node's typed readdir (cli/src/NodeDirectoryEntries.ts): files and folders
// need no call of their own, links are still followed and guarded, and other entries are still reported.
const work = tempDir("asrflow-listing-")
const audio = path.join(work, "audio")

beforeAll(() => {
  speak(path.join(audio, "a.wav"), "The first file.")
  speak(path.join(audio, "nested/b.wav"), "The second file.")
  speak(path.join(work, "outside/o.wav"), "Outside the folder.")
  fs.symlinkSync("nested/b.wav", path.join(audio, "link-inside.wav"))
  fs.symlinkSync("../outside/o.wav", path.join(audio, "link-outside.wav"))
  fs.symlinkSync("nowhere.wav", path.join(audio, "broken.wav"))
  fs.symlinkSync(".", path.join(audio, "loop"))
  execFileSync("mkfifo", [path.join(audio, "fifo.wav")])
}, 60_000)

describe("asrflow run: listing a folder", () => {
  it(
    "transcribes the files and links inside it, and reports the link outside, the broken link and the FIFO",
    async () => {
      const out = path.join(work, "out")
      const pipeline = folderPipeline(path.join(work, "pipeline.yaml"), {
        output: out,
        include: audio,
        sinks: ["text"]
      })
      const emulator = await startEmulator({ rate_limits: { enabled: false } })
      try {
        const result = await runCli(["run", pipeline], { cwd: work, env: emulatorEnv(emulator) })
        assert.strictEqual(result.code, 1, result.stderr)
        assert.include(result.stderr, "3 done, 3 failed, 0 skipped of 6 item(s)")
        assert.deepStrictEqual(fs.readdirSync(path.join(out, "transcripts")).sort(), [
          "a.txt",
          "link-inside.txt",
          "nested"
        ])
        assert.deepStrictEqual(fs.readdirSync(path.join(out, "transcripts", "nested")), ["b.txt"])
        assert.match(result.stderr, /audio\/broken\.wav.*broken symlink \(points to nowhere\.wav\)/)
        assert.match(result.stderr, /audio\/link-outside\.wav.*symlink points outside/)
        assert.match(result.stderr, /audio\/fifo\.wav.*not a regular file \(FIFO\)/)
      } finally {
        await emulator.close()
      }
    },
    240_000
  )
})
