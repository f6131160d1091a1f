import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { binary, repoRoot, runCli, tempDir } from "./utils/Cli.js"
import { listFiles } from "./utils/Static.js"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const work = tempDir("asrflow-batches-")

/** A 16 kHz mono WAV of a one-second tone, distinct per `index` (sox). */
const toneWav = (file: string, index: number) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  execFileSync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", file, "synth", "1", "sine", String(200 + index)])
}

/** A folder of `count` short files and a funasr pipeline over it. */
const project = (name: string, count: number, provider: ReadonlyArray<string>, concurrency = 250) => {
  const dir = fs.mkdtempSync(path.join(work, `${name}-`))
  for (let i = 0; i < count; i++) toneWav(path.join(dir, "audio", `clip-${String(i).padStart(3, "0")}.wav`), i)
  fs.writeFileSync(
    path.join(dir, "pipeline.yaml"),
    [
      "version: 1",
      "sources:",
      "  - type: files",
      "    include: [audio]",
      `concurrency: ${concurrency}`,
      "provider:",
      "  type: funasr",
      ...provider.map((line) => `  ${line}`),
      "  poll: { initial_interval_ms: 200, max_interval_ms: 400, timeout_secs: 120 }",
      "sinks:",
      "  - type: text",
      "  - type: json",
      ""
    ].join("\n")
  )
  return dir
}

let emulator: StartedEmulator

const envFor = (dir: string) => ({
  PATH: process.env.PATH ?? "",
  HOME: dir,
  TMPDIR: os.tmpdir(),
  DASHSCOPE_API_KEY: emulator.apiKey,
  DASHSCOPE_HTTP_BASE_URL: emulator.nativeBaseUrl,
  OUTPUT_DIR: path.join(dir, "out")
})

beforeAll(async () => {
  emulator = await startEmulator({ tasks: { pending_ms: 300, running_ms: 600 } })
})

afterAll(() => emulator.close())

describe("asrflow run with the funasr provider", () => {
  it("sends 250 short local files through paraformer-v2 in 3 submits of at most 100 files", async () => {
    await emulator.reset()
    const dir = project("many", 250, ["model: paraformer-v2", "batch: { linger_ms: 3000 }"])
    const result = await runCli(["run", "pipeline.yaml"], { cwd: dir, env: envFor(dir), timeoutMs: 240_000 })
    assert.strictEqual(result.code, 0, result.stderr)
    const report = await emulator.report()
    assert.deepStrictEqual(report.violations, [])
    assert.deepStrictEqual(report.batches.submits.map((submit) => submit.files), [100, 100, 50])
    assert.strictEqual(Object.keys(report.submissions_per_audio).length, 250)
    const files = listFiles(path.join(dir, "out/aliyun-funasr/transcripts"))
    assert.strictEqual(files.filter((file) => file.endsWith(".txt")).length, 250)
  }, 300_000)

  it("fails a file that fails inside its batch alone", async () => {
    await emulator.reset()
    await emulator.setConfig({ fail_tasks_matching: [{ pattern: "clip-002", code: "InvalidFile.DownloadFailed" }] })
    try {
      const dir = project("one-bad", 5, ["model: fun-asr"])
      const result = await runCli(["run", "pipeline.yaml"], { cwd: dir, env: envFor(dir) })
      assert.strictEqual(result.code, 1, result.stderr)
      assert.match(result.stderr, /4 done, 1 failed/)
      assert.match(result.stderr, /clip-002\.wav.*TaskFailed \(InvalidFile\.DownloadFailed\)/)
      assert.deepStrictEqual((await emulator.report()).batches.submits.map((submit) => submit.files), [5])
    } finally {
      await emulator.setConfig({ fail_tasks_matching: [] })
    }
  })

  it("submits no batch twice when a run killed with SIGKILL mid-batch is run again", async () => {
    await emulator.reset()
    await emulator.setConfig({ tasks: { pending_ms: 2000, running_ms: 4000 } })
    try {
      const dir = project("crash", 150, ["model: paraformer-v2", "batch: { linger_ms: 1000 }"], 150)
      const env = envFor(dir)
      const child = spawn(process.execPath, [binary, "run", "pipeline.yaml"], { cwd: dir, env, stdio: "ignore" })
      const exited = new Promise((resolve) => child.on("exit", resolve))
      for (let waited = 0; waited < 120_000; waited += 25) {
        if ((await emulator.report()).batches.submits.length > 0) break
        await sleep(25)
      }
      child.kill("SIGKILL")
      await exited
      const before = await emulator.report()
      assert.isAtLeast(before.batches.submits.length, 1)
      const written = () => listFiles(path.join(dir, "out")).filter((file) => file.endsWith(".json"))
      assert.deepStrictEqual(written(), [], "the kill must land before the batch finished")

      const rerun = await runCli(["run", "pipeline.yaml"], { cwd: dir, env, timeoutMs: 180_000 })
      assert.strictEqual(rerun.code, 0, rerun.stderr)
      const report = await emulator.report()
      assert.deepStrictEqual(report.violations, [])
      const perAudio = Object.values(report.submissions_per_audio)
      assert.strictEqual(perAudio.length, 150)
      assert.deepStrictEqual([...new Set(perAudio)], [1], "every file was in exactly one submitted batch")
      assert.strictEqual(report.batches.submits.reduce((sum, submit) => sum + submit.files, 0), 150)
      assert.strictEqual(written().filter((file) => file.includes("transcripts/")).length, 150)
    } finally {
      await emulator.setConfig({ tasks: { pending_ms: 300, running_ms: 600 } })
    }
  }, 300_000)

  it("labels the two voices of a meeting: alternating speakers in JSON, VTT voice tags and txt prefixes", async () => {
    const voices = await startEmulator({ synthetic_transcripts: "audio", tasks: { pending_ms: 100, running_ms: 200 } })
    try {
      const dir = fs.mkdtempSync(path.join(work, "meeting-"))
      fs.cpSync(path.join(repoRoot, "examples/meeting-speakers"), dir, { recursive: true })
      const result = await runCli(["run", "pipeline.yaml"], {
        cwd: dir,
        env: {
          HOME: dir,
          DASHSCOPE_API_KEY: voices.apiKey,
          DASHSCOPE_HTTP_BASE_URL: voices.nativeBaseUrl,
          OUTPUT_DIR: path.join(dir, "out")
        }
      })
      assert.strictEqual(result.code, 0, result.stderr)
      const read = (ext: string) =>
        fs.readFileSync(path.join(dir, `out/aliyun-funasr/transcripts/team-meeting.${ext}`), "utf8")
      const turns = <A>(values: ReadonlyArray<A>) => values.filter((value, i) => i === 0 || value !== values[i - 1])
      const json = JSON.parse(read("json")) as { sentences: Array<{ speaker_id: number }> }
      assert.deepStrictEqual(turns(json.sentences.map((s) => s.speaker_id)), [0, 1, 0, 1, 0, 1])
      const tags = [...read("vtt").matchAll(/^<v (Speaker \d)>/gm)].map((match) => match[1])
      assert.deepStrictEqual(turns(tags), [
        "Speaker 1",
        "Speaker 2",
        "Speaker 1",
        "Speaker 2",
        "Speaker 1",
        "Speaker 2"
      ])
      const prefixes = read("txt").trim().split("\n").map((line) => line.slice(0, 5))
      assert.deepStrictEqual(prefixes, ["[S1] ", "[S2] ", "[S1] ", "[S2] ", "[S1] ", "[S2] "])
      assert.deepStrictEqual((await voices.report()).violations, [])
    } finally {
      await voices.close()
    }
  })

  it("validate warns about a Qwen-only field on a Fun-ASR model, naming the field and the model", async () => {
    const dir = project("validate", 1, ["model: paraformer-v2", "enable_itn: true", "context: Glossary"])
    const result = await runCli(["validate", "pipeline.yaml"], { cwd: dir, env: { HOME: dir } })
    assert.strictEqual(result.code, 0, result.stderr)
    const output = result.stdout + result.stderr
    assert.include(output, "enable_itn is a Qwen option that paraformer-v2 cannot honour")
    assert.include(output, "context is a Qwen option that paraformer-v2 cannot honour")
  })
})
