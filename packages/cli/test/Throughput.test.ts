import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { speak } from "./utils/Audio.js"
import { emulatorEnv, runCli, tempDir } from "./utils/Cli.js"

// Adaptive throughput through the binary: a limit the client is not told, a limit that halves mid-run, and
// 30 % injected faults. What is asserted holds on a slow machine: a slower client only sends fewer requests
// per second, so it meets fewer 429s, never more.
const work = tempDir("asrflow-throughput-")
const clip = path.join(work, "clip.wav")

beforeAll(() => {
  speak(clip, "One short clip.")
}, 60_000)

/** `n` items: the same clip under `n` names (hard links, so the folder costs nothing). */
const folder = (dir: string, n: number) => {
  const audio = path.join(dir, "audio")
  fs.mkdirSync(audio, { recursive: true })
  for (let i = 0; i < n; i++) fs.linkSync(clip, path.join(audio, `clip-${String(i).padStart(3, "0")}.wav`))
  return audio
}

const pipeline = (dir: string, items: number, provider: ReadonlyArray<string>, concurrency?: number) => {
  const file = path.join(dir, "pipeline.yaml")
  fs.writeFileSync(
    file,
    [
      "version: 1",
      `output_dir: ${path.join(dir, "out")}`,
      "sources:",
      "  - type: files",
      `    include: ["${folder(dir, items)}"]`,
      ...(concurrency === undefined ? [] : [`concurrency: ${concurrency}`]),
      "provider:",
      "  type: qwen",
      "  model: qwen3-asr-flash",
      ...provider.map((line) => `  ${line}`),
      "sinks:",
      "  - type: text",
      ""
    ].join("\n")
  )
  return file
}

const env = (emulator: StartedEmulator) => ({
  ...emulatorEnv(emulator)
})

interface Summary {
  readonly done: number
  readonly failed: number
  readonly second_round: number
  readonly lanes: ReadonlyArray<{
    readonly lane: string
    readonly requests_per_minute: number
    readonly ceiling_per_minute: number | null
    readonly throttled: number
  }>
}

const summaryOf = (dir: string): Summary => {
  const runs = path.join(dir, "out", "runs")
  const file = fs.readdirSync(runs).find((name) => name.endsWith(".summary.json"))!
  return JSON.parse(fs.readFileSync(path.join(runs, file), "utf8"))
}

const texts = (dir: string) =>
  fs.readdirSync(path.join(dir, "out", "transcripts")).filter((name) => name.endsWith(".txt"))

describe("asrflow run: adaptive throughput (against the emulator)", () => {
  it("finishes every item under a limit it was not told, with few requests answered 429", async () => {
    const dir = fs.mkdtempSync(path.join(work, "untold-"))
    // 240 RPM, with a burst of 4: asrflow starts at the documented 100 RPM and probes upward
    const emulator = await startEmulator({
      rate_limits: { requests_per_minute: { default: 240 }, burst_fraction: 4 / 240 }
    })
    try {
      const result = await runCli(["run", pipeline(dir, 100, [])], { cwd: dir, env: env(emulator) })
      assert.strictEqual(result.code, 0, result.stderr)
      const report = await emulator.report()
      assert.strictEqual(report.counts["compatible 200"], 100)
      // every request answered 429 was the client's only extra request
      assert.strictEqual(report.requests["compatible"], 100 + report.throttled_429)
      assert.isAtMost(report.throttled_429, 5, `${report.throttled_429} of ${report.requests["compatible"]} were 429`)
      assert.deepStrictEqual(report.violations, [])
      const summary = summaryOf(dir)
      assert.strictEqual(summary.done, 100)
      assert.strictEqual(texts(dir).length, 100)
      const lane = summary.lanes.find((lane) => lane.lane.startsWith("qwen sync qwen3-asr-flash"))!
      assert.strictEqual(lane.throttled, report.throttled_429)
      // a lane that met the limit ends near it: a run may end in the middle of a probe above it, and the
      // probe steps above a known limit add up to less than a quarter of it (core LaneState)
      if (lane.ceiling_per_minute !== null) assert.isAtMost(lane.requests_per_minute, 240 * 1.25)
    } finally {
      await emulator.close()
    }
  }, 120_000)

  it("backs off when the limit halves mid-run, with few requests answered 429", async () => {
    const dir = fs.mkdtempSync(path.join(work, "halving-"))
    // told 600 RPM, which is right until another program takes half of it, 4 s into the run
    const emulator = await startEmulator({
      rate_limits: {
        requests_per_minute: { default: 600 },
        burst_fraction: 0.01,
        schedule: [{ after_ms: 4000, requests_per_minute: { default: 300 } }]
      }
    })
    try {
      const file = pipeline(dir, 100, ["rate_limit: { requests_per_minute: 600 }"])
      const result = await runCli(["run", file], { cwd: dir, env: env(emulator) })
      assert.strictEqual(result.code, 0, result.stderr)
      const report = await emulator.report()
      assert.strictEqual(report.counts["compatible 200"], 100)
      assert.strictEqual(report.requests["compatible"], 100 + report.throttled_429)
      assert.isAtMost(report.throttled_429, 8, `${report.throttled_429} of ${report.requests["compatible"]} were 429`)
      const summary = summaryOf(dir)
      assert.strictEqual(summary.done, 100)
      const lane = summary.lanes.find((lane) => lane.lane.startsWith("qwen sync qwen3-asr-flash"))!
      if (report.throttled_429 > 0) assert.isAtMost(lane.requests_per_minute, 480)
    } finally {
      await emulator.close()
    }
  }, 120_000)

  it("finishes every item through 30 % injected 500/503 and a 429 burst, with a second round for some", async () => {
    const dir = fs.mkdtempSync(path.join(work, "faults-"))
    // one item at a time, so each request's number is known: a try and its retry are consecutive. The
    // 500/503s hit single requests (a retry gets through); the 429 burst hits four in a row, so the two items
    // it meets fail both their tries and go back to the queue for a second round
    const emulator = await startEmulator({
      faults: [
        { endpoint: "compatible", kind: "internal_error", at: [3, 7, 11, 15, 19] },
        { endpoint: "compatible", kind: "model_unavailable", at: [5, 9, 13, 17, 21, 25] },
        { endpoint: "compatible", kind: "throttle", from: 28, to: 31, retry_after_s: null }
      ]
    })
    try {
      const file = pipeline(dir, 20, [
        "rate_limit: { requests_per_minute: 6000 }",
        "retry: { attempts: 1, initial_backoff_ms: 20, max_backoff_ms: 100, jitter: false, rounds: 3 }"
      ], 1)
      const result = await runCli(["run", file], { cwd: dir, env: env(emulator) })
      assert.strictEqual(result.code, 0, result.stderr)
      const report = await emulator.report()
      assert.strictEqual(report.counts["compatible 200"], 20)
      assert.strictEqual(report.counts["compatible 500"], 5)
      assert.strictEqual(report.counts["compatible 503"], 6)
      assert.strictEqual(report.throttled_429, 4)
      assert.strictEqual(report.requests["compatible"], 20 + 5 + 6 + 4)
      const summary = summaryOf(dir)
      assert.strictEqual(summary.done, 20)
      assert.strictEqual(summary.failed, 0)
      assert.strictEqual(summary.second_round, 2)
      assert.strictEqual(texts(dir).length, 20)
      assert.match(result.stderr, /20 done, 0 failed.*· 2 needed a second round/)
    } finally {
      await emulator.close()
    }
  }, 120_000)
})
