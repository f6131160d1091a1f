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

  // the check goes a chunk of the listing at a time (512 entries: core/src/internal/knownSkips.ts); three chunks
  it(
    "checks a long listing by chunks: a file replaced mid-listing is transcribed again, the rest skipped in order",
    async () => {
      const dir = path.join(work, "long")
      const folder = path.join(dir, "audio")
      fs.mkdirSync(folder, { recursive: true })
      const clip = path.join(audio, "c.wav")
      // the same clip under 1,100 names (hard links: the folder costs nothing)
      const files = Array.from({ length: 1100 }, (_, i) => path.join(folder, `clip-${String(i).padStart(4, "0")}.wav`))
      for (const file of files) fs.linkSync(clip, file)
      const out = path.join(dir, "out")
      const pipeline = folderPipeline(path.join(dir, "pipeline.yaml"), {
        output: out,
        include: folder,
        sinks: ["text", "jsonl"],
        concurrency: 32
      })
      const emulator = await startEmulator({ rate_limits: { enabled: false } })
      try {
        const run = () => runCli(["run", pipeline], { cwd: dir, env: emulatorEnv(emulator), timeoutMs: 600_000 })
        const first = await run()
        assert.strictEqual(first.code, 0, first.stderr.slice(-2000))
        assert.strictEqual((await emulator.report()).counts["compatible 200"], 1100)

        // in the second chunk, a file replaced by another recording: a new inode, size and mtime
        const replaced = files[700]!
        fs.rmSync(replaced)
        speak(replaced, "Another recording altogether.")
        const second = await run()
        assert.strictEqual(second.code, 0, second.stderr.slice(-2000))
        assert.include(second.stderr, "1 done, 0 failed, 1099 skipped of 1100 item(s)")
        assert.strictEqual((await emulator.report()).counts["compatible 200"], 1101, "only the replaced file was sent")

        const events = newestRunLog(out)
        const phasesOf = new Map<string, Array<string>>()
        for (const event of events) phasesOf.set(event.item, [...(phasesOf.get(event.item) ?? []), event.phase])
        assert.deepStrictEqual(phasesOf.get(replaced), ["planned", "probed", "transcribed", "written"])
        const kept = files.filter((file) => file !== replaced)
        // every other file skipped, in the listing's order, each with its three events and what it is
        assert.deepStrictEqual(events.filter((event) => event.phase === "skipped").map((event) => event.item), kept)
        assert.isTrue(kept.every((file) => phasesOf.get(file)?.join() === "planned,probed,skipped"))
        const probed = events.filter((event) => event.phase === "probed" && event.item !== replaced)
        assert.isTrue(
          probed.every((event) => event.data.container === "wav" && event.data.bytes === fs.statSync(clip).size)
        )
        const lines = fs.readFileSync(path.join(out, "transcripts.jsonl"), "utf8").trimEnd().split("\n")
        assert.strictEqual(lines.length, 1100)
      } finally {
        await emulator.close()
      }
    },
    900_000
  )
})
