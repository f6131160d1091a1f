import { startEmulator } from "@asrflow/emulator"
import { assert, describe, it } from "@effect/vitest"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { binary, emulatorEnv, runCli, tempDir } from "./utils/Cli.js"
import { listFiles } from "./utils/Static.js"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const work = tempDir("asrflow-crash-")

describe("crash safety", () => {
  it("a run killed with SIGKILL after some submissions completes on re-run with one submission per audio", async () => {
    const dir = fs.mkdtempSync(path.join(work, "run-"))
    const audio = path.join(dir, "audio")
    fs.mkdirSync(audio)
    execFileSync("espeak-ng", ["-w", path.join(dir, "speech.wav"), "A long recording for the crash test."])
    // 20 distinct long files: 6 minutes and i seconds of speech followed by silence
    for (let i = 0; i < 20; i++) {
      execFileSync("sox", [
        path.join(dir, "speech.wav"),
        "-r",
        "8000",
        "-c",
        "1",
        path.join(audio, `long-${i}.wav`),
        "pad",
        "0",
        String(360 + i)
      ])
    }
    fs.writeFileSync(
      path.join(dir, "pipeline.yaml"),
      [
        "version: 1",
        "sources:",
        "  - type: files",
        "    include: [audio]",
        "concurrency: 20",
        "provider:",
        "  type: qwen",
        "  model: qwen3-asr-flash-filetrans",
        "  timestamp_granularities: [sentence, word]",
        "  poll: { initial_interval_ms: 200, max_interval_ms: 400, timeout_secs: 120 }",
        "  rate_limit: { requests_per_minute: 6000 }",
        "sinks:",
        "  - type: text",
        "  - type: json",
        "  - type: srt",
        "  - type: jsonl",
        ""
      ].join("\n")
    )
    const emulator = await startEmulator({
      rate_limits: { requests_per_minute: { default: 6000 } },
      tasks: { pending_ms: 500, running_ms: 2000 }
    })
    try {
      const env = {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        TMPDIR: os.tmpdir(),
        ...emulatorEnv(emulator),
        OUTPUT_DIR: path.join(dir, "out")
      }
      const child = spawn(process.execPath, [binary, "run", "pipeline.yaml"], { cwd: dir, env, stdio: "ignore" })
      const exited = new Promise((resolve) => child.on("exit", resolve))
      let submitted = 0
      for (let waited = 0; waited < 60_000 && submitted < 5; waited += 25) {
        await sleep(25)
        submitted = (await emulator.report()).tasks.submitted
      }
      child.kill("SIGKILL")
      await exited
      const before = await emulator.report()
      assert.isAtLeast(before.tasks.submitted, 5)
      assert.isBelow(before.tasks.succeeded, 20, "the kill must land before the batch finished")

      const rerun = await runCli(["run", "pipeline.yaml"], { cwd: dir, env, timeoutMs: 180_000 })
      assert.strictEqual(rerun.code, 0, rerun.stderr)

      const report = await emulator.report()
      assert.deepStrictEqual(report.violations, [])
      const perAudio = Object.values(report.submissions_per_audio)
      assert.strictEqual(perAudio.length, 20)
      assert.deepStrictEqual([...new Set(perAudio)], [1], "every audio was submitted exactly once")

      const root = path.join(dir, "out/aliyun-qwen-asr")
      const files = listFiles(root)
      for (let i = 0; i < 20; i++) {
        for (const ext of ["txt", "json", "srt"]) assert.include(files, `transcripts/long-${i}.${ext}`)
        JSON.parse(fs.readFileSync(path.join(root, `transcripts/long-${i}.json`), "utf8"))
      }
      assert.deepStrictEqual(files.filter((file) => /\.(tmp|partial)$/.test(file)), [], "no half-written file is left")
      const lines = fs.readFileSync(path.join(root, "transcripts.jsonl"), "utf8").trim().split("\n")
      assert.strictEqual(lines.length, 20)
      for (const line of lines) JSON.parse(line)
    } finally {
      await emulator.close()
    }
  }, 300_000)
})
