import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { longWav, speak } from "./utils/Audio.js"
import { runCli, tempDir } from "./utils/Cli.js"
import { filesContaining, listFiles, serveDirectory } from "./utils/Static.js"

// One folder of real speech in every common container, nested, with two files sharing a basename.
const work = tempDir("asrflow-sync-")
const audio = path.join(work, "audio")
const served = path.join(work, "served")
let server: Awaited<ReturnType<typeof serveDirectory>>

beforeAll(async () => {
  speak(path.join(audio, "intro.wav"), "Welcome to the weekly product review.")
  speak(path.join(audio, "team/alpha/update.mp3"), "Alpha shipped the new upload flow on Monday.")
  speak(path.join(audio, "team/beta/update.flac"), "Beta is still testing the billing changes.")
  speak(path.join(audio, "calls/support.ogg"), "Thank you for calling, how can I help?")
  speak(path.join(audio, "calls/sales.m4a"), "Our pricing starts at ten dollars a month.")
  speak(path.join(served, "remote.mp3"), "This file is fetched from a URL.")
  server = await serveDirectory(served)
}, 120_000)

afterAll(async () => {
  await server?.close()
})

const pipeline = (dir: string, body: string) => {
  const file = path.join(dir, "pipeline.yaml")
  fs.writeFileSync(file, body)
  return file
}

const env = (emulator: StartedEmulator, output: string, key = emulator.apiKey) => ({
  DASHSCOPE_API_KEY: key,
  DASHSCOPE_HTTP_BASE_URL: emulator.nativeBaseUrl,
  DASHSCOPE_COMPATIBLE_BASE_URL: emulator.compatibleBaseUrl,
  OUTPUT_DIR: output
})

/** The whole audio folder, with the text sink only. */
const folderPipeline = (dir: string, concurrency: number) =>
  pipeline(
    dir,
    [
      "version: 1",
      "sources:",
      "  - type: files",
      `    include: ["${audio}"]`,
      `concurrency: ${concurrency}`,
      provider(),
      "sinks:",
      "  - type: text",
      ""
    ].join("\n")
  )

const provider = (extra = "") =>
  [
    "provider:",
    "  type: qwen",
    "  model: qwen3-asr-flash",
    "  rate_limit: { requests_per_minute: 6000 }",
    "  retry: { attempts: 8, initial_backoff_ms: 20, max_backoff_ms: 200, jitter: true }",
    extra
  ].join("\n")

describe("asrflow run (sync, against the emulator)", () => {
  it("transcribes a nested folder and a served URL; a 6-minute file fails alone; the output tree is complete", async () => {
    const dir = fs.mkdtempSync(path.join(work, "run-"))
    longWav(path.join(audio, "long/six-minutes.wav"), 360)
    const emulator = await startEmulator({})
    try {
      const file = pipeline(
        dir,
        [
          "version: 1",
          "sources:",
          `  - type: files`,
          `    include: ["${audio}/**/*.{wav,mp3,flac,ogg,m4a}"]`,
          `  - type: urls`,
          `    urls: ["${server.origin}/remote.mp3"]`,
          "concurrency: 4",
          provider(),
          "sinks:",
          "  - type: text",
          "  - type: json",
          "  - type: jsonl",
          "  - type: evidence",
          ""
        ].join("\n")
      )
      const output = path.join(dir, "out")
      const result = await runCli(["run", file], { cwd: dir, env: env(emulator, output) })
      assert.strictEqual(result.code, 1, result.stderr)
      const root = path.join(output, "aliyun-qwen-asr")
      const files = listFiles(root)
      for (const key of ["intro", "team/alpha/update", "team/beta/update", "calls/support", "calls/sales"]) {
        assert.include(files, `transcripts/${key}.txt`)
        assert.include(files, `transcripts/${key}.json`)
        assert.include(files, `responses/${key}.json`)
        assert.isAbove(fs.readFileSync(path.join(root, `transcripts/${key}.txt`), "utf8").trim().length, 0)
      }
      assert.include(files, `transcripts/127.0.0.1/remote.txt`)
      assert.notInclude(files, "transcripts/long/six-minutes.txt")
      assert.match(result.stderr, /six-minutes\.wav.*5-minute limit.*qwen3-asr-flash-filetrans/s)
      assert.match(result.stderr, /6 done, 1 failed, 0 skipped of 7 item/)
      // progress: one line per written or failed item, with the count of the total and the output written
      assert.match(result.stderr, /^asrflow: \[\d\/7\] wrote \S+transcripts\/intro\.txt \(\+3 more\)$/m)
      assert.match(result.stderr, /^asrflow: \[\d\/7\] failed \S+six-minutes\.wav: /m)
      assert.strictEqual(result.stderr.match(/\] wrote /g)?.length, 6)

      const report = await emulator.report()
      assert.deepStrictEqual(report.violations, [])
      assert.strictEqual(report.requests["compatible"], 6, "the 6-minute file must be rejected before sending")
      assert.deepStrictEqual(filesContaining(root, emulator.apiKey), [])

      const jsonl = fs.readFileSync(path.join(root, "transcripts.jsonl"), "utf8").trim().split("\n").map((line) =>
        JSON.parse(line)
      )
      assert.strictEqual(jsonl.length, 7)
      assert.strictEqual(jsonl.filter((line) => line.status === "FAILED").length, 1)

      const [log] = files.filter((name) => name.startsWith("runs/") && name.endsWith(".log.jsonl"))
      const events = fs.readFileSync(path.join(root, log!), "utf8").trim().split("\n").map((line) => JSON.parse(line))
      const phases = (item: string) => events.filter((event) => event.item.endsWith(item)).map((event) => event.phase)
      assert.deepStrictEqual(phases("intro.wav"), ["planned", "probed", "transcribed", "written"])
      assert.deepStrictEqual(phases("six-minutes.wav"), ["planned", "probed", "failed"])
      assert.isTrue(files.some((name) => name.endsWith(".summary.json")))
    } finally {
      fs.rmSync(path.join(audio, "long"), { recursive: true, force: true })
      await emulator.close()
    }
  })

  it("still transcribes every file with 30% injected 500/503 and a 429 burst, retrying within the policy", async () => {
    const dir = fs.mkdtempSync(path.join(work, "faults-"))
    // the faults hit exact request numbers, so what the test asserts does not depend on the machine's speed:
    // 3 of the 10 requests answer 500 or 503, and two in a row answer 429
    const emulator = await startEmulator({
      seed: 7,
      faults: [
        { endpoint: "compatible", kind: "internal_error", at: [2, 5] },
        { endpoint: "compatible", kind: "model_unavailable", at: [3] },
        { endpoint: "compatible", kind: "throttle", at: [6, 7], retry_after_s: null }
      ]
    })
    try {
      const file = folderPipeline(dir, 5)
      const result = await runCli(["run", file], { cwd: dir, env: env(emulator, path.join(dir, "out")) })
      assert.strictEqual(result.code, 0, result.stderr)
      const report = await emulator.report()
      const count = (status: number) => report.counts[`compatible ${status}`] ?? 0
      assert.strictEqual(count(200), 5)
      assert.strictEqual(count(500) + count(503), 3)
      assert.strictEqual(report.throttled_429, 2)
      // every failed attempt was retried once, and nothing else was sent
      assert.strictEqual(report.requests["compatible"], 5 + count(500) + count(503) + count(429))
      assert.deepStrictEqual(report.violations, [])
    } finally {
      await emulator.close()
    }
  })

  it("stops at once with exit code 3 and one message for a rejected key", async () => {
    const dir = fs.mkdtempSync(path.join(work, "badkey-"))
    const emulator = await startEmulator({})
    try {
      const file = folderPipeline(dir, 1)
      const result = await runCli(["run", file], {
        cwd: dir,
        env: env(emulator, path.join(dir, "out"), "sk-wrong-key-123456")
      })
      assert.strictEqual(result.code, 3, result.stderr)
      assert.strictEqual(result.stderr.match(/unauthorized/gi)?.length, 1, result.stderr)
      assert.match(result.stderr, /region/)
      assert.notInclude(result.stderr, "sk-wrong-key-123456")
      // the key is checked once before the batch (one read-only task query): no audio is sent at all
      const report = await emulator.report()
      assert.strictEqual(report.requests["compatible"] ?? 0, 0)
      assert.strictEqual(report.requests["task"], 1)
    } finally {
      await emulator.close()
    }
  })

  it("doctor exits 0 against a good emulator, 3 for a bad key and 3 for a closed port", async () => {
    const emulator = await startEmulator({})
    try {
      const good = await runCli(["doctor"], { env: env(emulator, work) })
      assert.strictEqual(good.code, 0, good.stderr)
      assert.match(good.stdout, /key: found in DASHSCOPE_API_KEY/)
      assert.notInclude(good.stdout, emulator.apiKey)
      const bad = await runCli(["doctor"], { env: env(emulator, work, "sk-not-the-right-one") })
      assert.strictEqual(bad.code, 3)
      assert.match(bad.stderr, /unauthorized/i)
      assert.match(bad.stderr, /region/)
    } finally {
      await emulator.close()
    }
    const closed = await runCli(["doctor"], {
      env: { DASHSCOPE_API_KEY: "sk-some-key-000000", DASHSCOPE_HTTP_BASE_URL: "http://127.0.0.1:9/api/v1" }
    })
    assert.strictEqual(closed.code, 3)
    assert.match(closed.stderr, /unreachable/)
  })
})
