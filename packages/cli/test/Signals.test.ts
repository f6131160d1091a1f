import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import type { Report } from "@asrflow/emulator/Report"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { emulatorEnv, runCli, startCli, tempDir } from "./utils/Cli.js"

// SIGTERM in the middle of a batch, through the built binary: the emulator's clock stands still, so the
// batch is provably mid-flight when the signal comes (a request held, tasks PENDING) until the test moves it
const work = tempDir("asrflow-signals-")
const audio = path.join(work, "audio")
const count = 8

beforeAll(() => {
  fs.mkdirSync(audio, { recursive: true })
  for (let i = 1; i <= count; i++) {
    const name = path.join(audio, `s${i}.wav`)
    execFileSync("sox", ["-n", "-r", "16000", "-c", "1", name, "synth", "1", "sine", String(300 + 30 * i)])
  }
})

let emulators: Array<StartedEmulator> = []
afterAll(async () => {
  await Promise.all(emulators.map((emulator) => emulator.close()))
})

const start = async (config: Parameters<typeof startEmulator>[0]) => {
  const emulator = await startEmulator(config)
  emulators = [...emulators, emulator]
  return emulator
}

const casePipeline = (name: string, provider: ReadonlyArray<string>, concurrency: number) => {
  const dir = fs.mkdtempSync(path.join(work, `${name}-`))
  fs.writeFileSync(
    path.join(dir, "pipeline.yaml"),
    [
      "version: 1",
      `concurrency: ${concurrency}`,
      "sources:",
      "  - type: files",
      `    include: [${JSON.stringify(audio)}]`,
      "provider:",
      "  type: qwen",
      "  rate_limit: { requests_per_minute: 6000 }",
      ...provider,
      "sinks:",
      "  - type: text",
      ""
    ].join("\n")
  )
  return dir
}

const env = (emulator: StartedEmulator, dir: string) => ({
  ...emulatorEnv(emulator),
  OUTPUT_DIR: path.join(dir, "out")
})

/** Polls the emulator's report (bounded) until `ready`: the state the test waits for is the emulator's. */
const until = async (emulator: StartedEmulator, ready: (report: Report) => boolean) => {
  for (let polls = 0; polls < 3000; polls++) {
    if (ready(await emulator.report())) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  assert.fail(`the emulator never reached the state awaited: ${JSON.stringify(await emulator.report())}`)
}

const eventsOf = (stdout: string) => stdout.trimEnd().split("\n").map((line) => JSON.parse(line))

const filesUnder = (dir: string): ReadonlyArray<string> =>
  fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()

/** The stopped run's files: a summary, whole transcripts only, no half-written file. */
const assertCleanStop = (root: string, done: number) => {
  const files = filesUnder(root)
  assert.deepStrictEqual(files.filter((file) => file.endsWith(".tmp")), [])
  const texts = files.filter((file) => file.startsWith("transcripts/") && file.endsWith(".txt"))
  assert.strictEqual(texts.length, done, files.join("\n"))
  for (const text of texts) assert.isAbove(fs.statSync(path.join(root, text)).size, 0, text)
  const summaries = files.filter((file) => file.startsWith("runs/") && file.endsWith(".summary.json"))
  assert.strictEqual(summaries.length, 1)
  const summary = JSON.parse(fs.readFileSync(path.join(root, summaries[0]!), "utf8"))
  assert.strictEqual(summary.stopped, "SIGTERM")
  assert.strictEqual(summary.done, done)
}

/** Runs the printed resume command (`asrflow …` → the built binary) and returns its result. */
const resume = (stderr: string, dir: string, environment: Record<string, string>) => {
  const command = stderr.match(/^asrflow: to resume: (.+)$/m)?.[1]
  assert.isDefined(command, stderr)
  const words = command!.split(" ")
  assert.strictEqual(words[0], "asrflow")
  return runCli(words.slice(1), { cwd: dir, env: environment }).then((result) => ({ result, command: command! }))
}

const oneSubmissionEach = (report: Report) => {
  const counts = Object.values(report.submissions_per_audio)
  assert.strictEqual(counts.length, count, JSON.stringify(report.submissions_per_audio))
  assert.deepStrictEqual(counts, counts.map(() => 1), JSON.stringify(report.submissions_per_audio))
}

describe("SIGTERM mid-batch", () => {
  it(
    "sync: the request in flight finishes, nothing new starts, exit 143; the resume command does the rest",
    async () => {
      // the third request waits on the emulator's clock: one item at a time, so the batch stops there
      const emulator = await start({
        clock: "manual",
        rate_limits: { enabled: false },
        faults: [{ endpoint: "compatible", kind: "slow", at: [3], slow_ms: 60_000 }]
      })
      const dir = casePipeline("sync", [], 1)
      const environment = env(emulator, dir)
      const run = startCli(["run", "pipeline.yaml", "--json"], { cwd: dir, env: environment })
      // two items written, the third one's request held by the emulator
      await run.stdoutLine((line) => line.includes("\"phase\":\"written\"") && line.includes("s2.wav"))
      await until(emulator, (report) => report.clock_waiters === 1)
      run.kill("SIGTERM")
      await run.stderrMatch(/SIGTERM: stopping/)
      // the held request is answered within the grace period
      await emulator.advance(60_000)
      const { code, stderr, stdout } = await run.result
      assert.strictEqual(code, 143, stderr)

      const summary = eventsOf(stdout).at(-1)
      assert.strictEqual(summary.phase, "summary")
      assert.strictEqual(summary.exit_code, 143)
      assert.strictEqual(summary.summary.stopped, "SIGTERM")
      assert.strictEqual(summary.summary.done, 3)
      assert.strictEqual(summary.summary.unfinished, 0)
      assert.match(stderr, /stopped by SIGTERM: 5 item\(s\) not finished/)
      assertCleanStop(path.join(dir, "out/aliyun-qwen-asr"), 3)

      const { result } = await resume(stderr, dir, environment)
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stderr, /5 done, 0 failed, 3 skipped of 8 item/)
      const report = await emulator.report()
      oneSubmissionEach(report)
      assert.deepStrictEqual(report.violations, [])
    },
    120_000
  )

  it("async: tasks submitted stay recorded, exit 143 at once; the resume command re-attaches them", async () => {
    // tasks stay PENDING while the emulator's clock stands still
    const emulator = await start({
      clock: "manual",
      rate_limits: { enabled: false },
      tasks: { pending_ms: 60_000, running_ms: 1000 }
    })
    const dir = casePipeline("async", [
      "  model: qwen3-asr-flash-filetrans",
      "  poll: { initial_interval_ms: 50, max_interval_ms: 100 }"
    ], 4)
    const environment = env(emulator, dir)
    const run = startCli(["run", "pipeline.yaml", "--json"], { cwd: dir, env: environment })
    const submitted = new Set<string>()
    await run.stdoutLine((line) => {
      if (line.includes("\"phase\":\"submitted\"")) submitted.add(JSON.parse(line).item)
      return submitted.size === count
    })
    await until(emulator, (report) => report.tasks.submitted === count && report.tasks.loading === 0)
    run.kill("SIGTERM")
    const { code, stderr, stdout } = await run.result
    assert.strictEqual(code, 143, stderr)

    const events = eventsOf(stdout)
    const summary = events.at(-1)
    assert.strictEqual(summary.exit_code, 143)
    assert.strictEqual(summary.summary.stopped, "SIGTERM")
    assert.strictEqual(summary.summary.done, 0)
    assert.strictEqual(summary.summary.unfinished, count)
    assert.match(stderr, /async tasks already submitted are recorded in the ledger/)
    assertCleanStop(path.join(dir, "out/aliyun-qwen-asr"), 0)

    // the tasks end on the server meanwhile; the next run picks them up instead of submitting again
    await emulator.advance(120_000)
    const { command, result } = await resume(stderr, dir, environment)
    assert.include(command, "pipeline.yaml")
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(result.stderr, new RegExp(`${count} done, 0 failed, 0 skipped of ${count} item`))
    const report = await emulator.report()
    assert.strictEqual(report.tasks.submitted, count)
    assert.strictEqual(report.requests["submit"], count)
    oneSubmissionEach(report)
    assert.deepStrictEqual(report.violations, [])
    assert.strictEqual(
      filesUnder(path.join(dir, "out/aliyun-qwen-asr")).filter((file) => file.endsWith(".txt")).length,
      count
    )
  }, 120_000)
})
