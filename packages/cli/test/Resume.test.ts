import { startEmulator } from "@asrflow/emulator"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { speak } from "./utils/Audio.js"
import { emulatorEnv, folderPipeline, runCli, tempDir } from "./utils/Cli.js"

// A resumed run skips a done item whose file is unchanged (same size, mtime and inode) from the ledger alone:
// the file is not opened. A file whose stamp moved takes the whole path again (probe, hash, ledger).
const work = tempDir("asrflow-resume-")
const audio = path.join(work, "audio")
const names = ["a.wav", "b.wav", "c.wav"]

beforeAll(() => {
  names.forEach((name, index) => speak(path.join(audio, name), `Recording number ${index + 1}.`))
}, 60_000)

/** The events of the newest run log under `out`. */
const newestRunLog = (out: string) => {
  const dir = path.join(out, "runs")
  const [newest] = fs.readdirSync(dir).filter((name) => name.endsWith(".log.jsonl"))
    .map((name) => ({ name, at: fs.statSync(path.join(dir, name)).mtimeMs }))
    .sort((x, y) => y.at - x.at)
  return fs.readFileSync(path.join(dir, newest.name), "utf8").trimEnd().split("\n").map((line) => JSON.parse(line))
}

describe("asrflow run: resuming from the ledger", () => {
  it("skips unchanged done files without opening them, and probes a file whose mtime moved", async () => {
    const out = path.join(work, "out")
    const pipeline = folderPipeline(path.join(work, "pipeline.yaml"), { output: out, include: audio, sinks: ["text"] })
    const emulator = await startEmulator({ rate_limits: { enabled: false } })
    try {
      const run = () => runCli(["run", pipeline], { cwd: work, env: emulatorEnv(emulator) })
      const first = await run()
      assert.strictEqual(first.code, 0, first.stderr)
      assert.strictEqual((await emulator.report()).counts["compatible 200"], 3)

      // a.wav's bytes replaced in place by as many bytes that are not audio, its mtime put back: size, mtime
      // and inode are those the ledger remembers, so the run trusts them and does not open the file (opening
      // it would reject it as "not a recognised audio file"). A real edit always moves the mtime.
      const a = path.join(audio, "a.wav")
      const { atime, mtime, size } = fs.statSync(a)
      const inode = fs.statSync(a).ino
      fs.writeFileSync(a, Buffer.alloc(size, 0x41), { flag: "r+" })
      fs.utimesSync(a, atime, mtime)
      assert.strictEqual(fs.statSync(a).ino, inode)
      // b.wav touched: the same bytes under a new mtime, found done again through its content hash
      const later = new Date(mtime.getTime() + 5_000)
      fs.utimesSync(path.join(audio, "b.wav"), later, later)

      const second = await run()
      assert.strictEqual(second.code, 0, second.stderr)
      assert.include(second.stderr, "0 done, 0 failed, 3 skipped of 3 item(s)")
      assert.strictEqual((await emulator.report()).counts["compatible 200"], 3, "nothing was sent again")
      // a skipped item's events are those of any skipped item: planned, probed (what it is), skipped
      const events = newestRunLog(out).filter((event) => event.item === a)
      assert.deepStrictEqual(events.map((event) => event.phase), ["planned", "probed", "skipped"])
      assert.strictEqual(events[1].data.container, "wav")
      assert.strictEqual(events[1].data.bytes, size)
      assert.isAbove(events[1].data.audio_seconds, 0.5)

      // a.wav's mtime moves: it is probed again, and what it now holds is no audio
      fs.utimesSync(a, later, later)
      const third = await run()
      assert.strictEqual(third.code, 1, third.stderr)
      assert.include(third.stderr, "0 done, 1 failed, 2 skipped of 3 item(s)")
      assert.include(third.stderr, "not a recognised audio file")
      assert.strictEqual((await emulator.report()).counts["compatible 200"], 3)
    } finally {
      await emulator.close()
    }
  }, 240_000)
})
