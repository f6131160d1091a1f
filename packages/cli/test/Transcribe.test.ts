import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { longWav, speak } from "./utils/Audio.js"
import { emulatorEnv, runCli, tempDir } from "./utils/Cli.js"
import { serveDirectory } from "./utils/Static.js"

const work = tempDir("asrflow-transcribe-")
const served = path.join(work, "served")
let server: Awaited<ReturnType<typeof serveDirectory>>
let emulator: StartedEmulator

beforeAll(async () => {
  speak(path.join(served, "meeting.mp3"), "The meeting starts at nine. Please bring your notes.")
  server = await serveDirectory(served)
  emulator = await startEmulator({ tasks: { pending_ms: 50, running_ms: 100 } })
}, 120_000)

afterAll(async () => {
  await server?.close()
  await emulator?.close()
})

const env = () => ({
  ...emulatorEnv(emulator),
  OUTPUT_DIR: path.join(work, "out")
})

/** `asrflow transcribe --audio <the served mp3> --model <model> ...flags` against the shared emulator. */
const transcribeUrl = (model: string, ...flags: ReadonlyArray<string>) =>
  runCli(["transcribe", "--audio", `${server.origin}/meeting.mp3`, "--model", model, ...flags], {
    cwd: work,
    env: env()
  })

describe("asrflow transcribe (the original helper's invocations)", () => {
  it("--audio <url> --model qwen3-asr-flash --language-hints zh,en --print-response", async () => {
    await emulator.reset()
    const result = await transcribeUrl("qwen3-asr-flash", "--language-hints", "zh,en", "--print-response")
    assert.strictEqual(result.code, 0, result.stderr)
    const response = JSON.parse(result.stdout)
    assert.deepStrictEqual(Object.keys(response).sort(), ["raw", "status", "text"])
    assert.strictEqual(response.status, "SUCCEEDED")
    assert.isAbove(response.text.length, 0)
    assert.strictEqual(response.raw.object, "chat.completion")
    // two hints cannot be one qwen3 language: one warning line, and no language on the wire
    assert.match(result.stderr, /^asrflow: warning: language_hints has 2 entries/m)
    const report = await emulator.report()
    assert.deepStrictEqual(report.violations, [])
    assert.strictEqual(report.requests["compatible"], 1)
    assert.isTrue(fs.existsSync(path.join(work, "out/aliyun-qwen-asr/transcripts/127.0.0.1/meeting.txt")))
  })

  it("--audio <url> --model qwen3-asr-flash-filetrans --async --wait", async () => {
    await emulator.reset()
    const result = await transcribeUrl(
      "qwen3-asr-flash-filetrans",
      "--async",
      "--wait",
      "--poll-interval",
      "0.2",
      "--max-waits",
      "50",
      "--print-response"
    )
    assert.strictEqual(result.code, 0, result.stderr)
    const response = JSON.parse(result.stdout)
    assert.strictEqual(response.status, "SUCCEEDED")
    assert.match(response.task_id, /^[0-9a-f-]{36}$/)
    assert.strictEqual(response.raw.output.task_status, "SUCCEEDED")
    const report = await emulator.report()
    assert.deepStrictEqual(report.violations, [])
    assert.strictEqual(report.requests["submit"], 1)
  })

  it("--async without --wait prints the task id; --task-id ID --wait picks it up", async () => {
    await emulator.reset()
    const submitted = await transcribeUrl("qwen3-asr-flash-filetrans", "--async")
    assert.strictEqual(submitted.code, 0, submitted.stderr)
    const taskId = submitted.stdout.match(/task_id: ([0-9a-f-]{36})/)?.[1]
    assert.isDefined(taskId, submitted.stdout)
    assert.match(submitted.stdout, /status: PENDING/)
    const picked = await runCli([
      "transcribe",
      "--task-id",
      taskId!,
      "--wait",
      "--poll-interval",
      "0.2",
      "--print-response"
    ], {
      cwd: work,
      env: env()
    })
    assert.strictEqual(picked.code, 0, picked.stderr)
    const response = JSON.parse(picked.stdout)
    assert.strictEqual(response.task_id, taskId)
    assert.strictEqual(response.status, "SUCCEEDED")
    assert.strictEqual((await emulator.report()).requests["submit"], 1)
  })

  it("a local 20-minute file through filetrans --wait --format srt", async () => {
    await emulator.reset()
    const file = longWav(path.join(work, "lecture.wav"), 1200, "Today we talk about speech recognition. It is useful.")
    const result = await runCli([
      "transcribe",
      "--audio",
      file,
      "--model",
      "qwen3-asr-flash-filetrans",
      "--wait",
      "--poll-interval",
      "0.2",
      "--timestamp-granularities",
      "sentence,word",
      "--format",
      "srt"
    ], { cwd: work, env: env(), timeoutMs: 180_000 })
    assert.strictEqual(result.code, 0, result.stderr)
    const srt = fs.readFileSync(path.join(work, "out/aliyun-qwen-asr/transcripts/lecture.srt"), "utf8")
    const cues = srt.trim().split("\n\n")
    assert.isAbove(cues.length, 1)
    const times = cues.map((cue) => cue.split("\n")[1]!)
    assert.match(times[0]!, /^\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}$/)
    const last = times[times.length - 1]!.split(" --> ")[1]!
    const [h, m, s] = last.split(":")
    assert.isAtMost(Number(h) * 3600 + Number(m) * 60 + Number(s!.replace(",", ".")), 1200)
    const report = await emulator.report()
    assert.deepStrictEqual(report.violations, [])
    assert.strictEqual(report.uploads.length, 1)
    assert.strictEqual(report.key_leaks, 0)
  }, 240_000)
})

describe("asrflow cancel", () => {
  it("cancels the PENDING tasks an unfinished run left in its ledger", async () => {
    const slow = await startEmulator({ tasks: { pending_ms: 600_000, running_ms: 100 } })
    try {
      const output = path.join(work, "cancel-out")
      const env = {
        DASHSCOPE_API_KEY: slow.apiKey,
        DASHSCOPE_HTTP_BASE_URL: slow.nativeBaseUrl,
        DASHSCOPE_COMPATIBLE_BASE_URL: slow.compatibleBaseUrl,
        OUTPUT_DIR: output
      }
      const submitted = await runCli([
        "transcribe",
        "--audio",
        `${server.origin}/meeting.mp3`,
        "--model",
        "qwen3-asr-flash-filetrans",
        "--async"
      ], { cwd: work, env })
      assert.strictEqual(submitted.code, 0, submitted.stderr)
      const taskId = submitted.stdout.match(/task_id: ([0-9a-f-]{36})/)![1]!
      const cancelled = await runCli(["cancel", path.join(output, "aliyun-qwen-asr")], { cwd: work, env })
      assert.strictEqual(cancelled.code, 0, cancelled.stderr)
      assert.include(cancelled.stdout, `cancelled  ${taskId}`)
      assert.match(cancelled.stderr, /cancelled 1 pending task/)
      const again = await runCli(["cancel", path.join(output, "aliyun-qwen-asr")], { cwd: work, env })
      assert.match(again.stderr, /cancelled 0 pending task/)
      const missing = await runCli(["cancel", work], { cwd: work, env })
      assert.strictEqual(missing.code, 2)
      assert.match(missing.stderr, /no ledger at/)
    } finally {
      await slow.close()
    }
  })
})
