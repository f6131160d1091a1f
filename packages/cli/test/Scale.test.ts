import { startEmulator } from "@asrflow/emulator"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { speak } from "./utils/Audio.js"
import { binary, emulatorEnv, folderPipeline, runCli, tempDir } from "./utils/Cli.js"

// A batch of 2,000 items in a process whose heap is capped: nothing per item may outlive the item (the
// source makes its items as the run reaches them, the summary lists a bounded number of failures, the JSONL
// file is merged streamed). 56 MB of old space: at 2,000 items the live heap after a full collection is ~33 MB
// (the run failed at 40 MB on a loaded machine, where collections lag), so growth of about
// 10 KB per item, or the whole JSONL file held in memory, would fail it (bench/README.md, scale).
const items = 2000
const heapMb = 56
const work = tempDir("asrflow-scale-")
const clip = path.join(work, "clip.wav")

beforeAll(() => {
  speak(clip, "One short clip.")
}, 60_000)

describe("asrflow run: a large batch in a capped heap", () => {
  it(`transcribes ${items} items with --max-old-space-size=${heapMb}, then skips them all on a re-run`, async () => {
    const audio = path.join(work, "audio")
    fs.mkdirSync(audio)
    // the same clip under 2,000 names (hard links: the folder costs nothing)
    for (let i = 0; i < items; i++) fs.linkSync(clip, path.join(audio, `clip-${String(i).padStart(4, "0")}.wav`))
    const out = path.join(work, "out")
    const pipeline = folderPipeline(path.join(work, "pipeline.yaml"), {
      output: out,
      include: audio,
      sinks: ["text", "jsonl"],
      concurrency: 32
    })
    const emulator = await startEmulator({ rate_limits: { enabled: false } })
    try {
      const run = () =>
        runCli(["run", pipeline], {
          cwd: work,
          env: {
            ...emulatorEnv(emulator)
          },
          script: { file: binary, nodeArgs: [`--max-old-space-size=${heapMb}`] },
          timeoutMs: 1_500_000
        })
      const first = await run()
      assert.strictEqual(first.code, 0, first.stderr.slice(-2000))
      const texts = fs.readdirSync(path.join(out, "transcripts")).filter((name) => name.endsWith(".txt"))
      assert.strictEqual(texts.length, items)
      assert.strictEqual(fs.readFileSync(path.join(out, "transcripts", "clip-1999.txt"), "utf8").trim() !== "", true)
      const lines = fs.readFileSync(path.join(out, "transcripts.jsonl"), "utf8").trimEnd().split("\n")
      assert.strictEqual(new Set(lines.map((line) => JSON.parse(line).output_key)).size, items)
      assert.include(first.stderr, `${items} done, 0 failed, 0 skipped of ${items} item(s)`)
      assert.strictEqual((await emulator.report()).counts["compatible 200"], items)

      const again = await run()
      assert.strictEqual(again.code, 0, again.stderr.slice(-2000))
      assert.include(again.stderr, `0 done, 0 failed, ${items} skipped of ${items} item(s)`)
      assert.strictEqual((await emulator.report()).counts["compatible 200"], items, "nothing was sent again")
      assert.strictEqual(
        fs.readFileSync(path.join(out, "transcripts.jsonl"), "utf8").trimEnd().split("\n").length,
        items
      )
      assert.deepStrictEqual(
        fs.readdirSync(out).filter((name) => name.endsWith(".partial") || name.endsWith(".tmp")),
        []
      )
    } finally {
      await emulator.close()
    }
    // two runs of 2,000 items: generous, so that a loaded machine makes the test slow, never red
  }, 3_200_000)
})
