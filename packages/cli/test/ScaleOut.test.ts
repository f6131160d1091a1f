import { startEmulator } from "@asrflow/emulator"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, ManagedRuntime, Redacted } from "effect"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type Postgres, startPostgres } from "../../../bench/lib/postgres.mjs"
import { binary, emulatorEnv, runCli, tempDir } from "./utils/Cli.js"
import { listFiles } from "./utils/Static.js"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const work = tempDir("asrflow-scale-")

let server: Postgres | undefined
beforeAll(async () => {
  server = await startPostgres()
})
afterAll(() => server?.stop())

/** Reads the shared ledger as an operator would, with plain SQL. */
const ledgerReader = (url: string) => {
  const runtime = ManagedRuntime.make(PgClient.layer({ url: Redacted.make(url), maxConnections: 2 }))
  return {
    rows: <A extends object>(text: string): Promise<ReadonlyArray<A>> =>
      runtime.runPromise(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<A>(text))),
    close: () => runtime.dispose()
  }
}

/** `count` distinct short recordings (the same words, each padded with a different silence). */
const recordings = (dir: string, count: number): ReadonlyArray<string> => {
  const speech = path.join(dir, "speech.wav")
  execFileSync("espeak-ng", ["-w", speech, "Many machines, one run."])
  fs.mkdirSync(path.join(dir, "audio"))
  return Array.from({ length: count }, (_, i) => {
    const file = path.join("audio", `a-${String(i).padStart(2, "0")}.wav`)
    execFileSync("sox", [speech, "-r", "8000", "-c", "1", path.join(dir, file), "pad", "0", (i * 0.05).toFixed(2)])
    return file
  })
}

const pipeline = (
  dir: string,
  manifest: string,
  options: { readonly concurrency?: number; readonly rpm?: number } = {}
) =>
  fs.writeFileSync(
    path.join(dir, "pipeline.yaml"),
    [
      "version: 1",
      "sources:",
      `  - type: manifest`,
      `    path: ${manifest}`,
      // by default one item at a time: a worker held inside a submit has nothing else in flight
      `concurrency: ${options.concurrency ?? 1}`,
      "provider:",
      "  type: qwen",
      "  model: qwen3-asr-flash",
      "  poll: { initial_interval_ms: 100, max_interval_ms: 200, timeout_secs: 120 }",
      `  rate_limit: { requests_per_minute: ${options.rpm ?? 6000} }`,
      "sinks:",
      "  - type: text",
      "  - type: jsonl",
      ""
    ].join("\n")
  )

const spawnWorker = (dir: string, env: Record<string, string>, args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, [binary, "run", "pipeline.yaml", ...args], { cwd: dir, env })
  let stderr = ""
  child.stderr.on("data", (chunk) => (stderr += chunk))
  child.stdout.on("data", () => {})
  const exited = new Promise<{ readonly code: number | null; readonly stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stderr }))
  )
  return { child, exited }
}

const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 60_000) => {
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    if (await check()) return
    await sleep(50)
  }
  throw new Error(`timed out waiting for ${what}`)
}

const environment = (dir: string, emulator: Awaited<ReturnType<typeof startEmulator>>, url: string) => ({
  PATH: process.env.PATH ?? "",
  HOME: dir,
  TMPDIR: os.tmpdir(),
  ...emulatorEnv(emulator),
  ASRFLOW_LEDGER_URL: url
})

const kill = (child: ChildProcess, signal: NodeJS.Signals) => {
  child.kill(signal)
}

describe("scale-out on PostgreSQL", () => {
  it(
    "3 workers, 60 items sync and async, one SIGKILLed inside a submit: each item done once, one submission per audio",
    async () => {
      const dir = fs.mkdtempSync(path.join(work, "run-"))
      const files = recordings(dir, 60)
      // every other row goes to the async model
      fs.writeFileSync(
        path.join(dir, "items.jsonl"),
        files.map((audio, i) => JSON.stringify(i % 2 === 0 ? { audio } : { audio, model: "qwen3-asr-flash-filetrans" }))
          .join("\n") + "\n"
      )
      pipeline(dir, "items.jsonl")
      const url = await server!.createDatabase("scale")
      // every submit is held open (the task exists, the answer waits), until the test lets them go
      const emulator = await startEmulator({
        rate_limits: { requests_per_minute: { default: 6000 } },
        latency_ms: { submit: 600_000 },
        tasks: { pending_ms: 100, running_ms: 200 }
      })
      const ledger = ledgerReader(url)
      try {
        const env = environment(dir, emulator, url)
        const workers = [1, 2, 3].map((n) =>
          spawnWorker(dir, env, ["--run", "batch", "--lease-seconds", "3", "--output-dir", `out/w${n}`])
        )
        // all three workers stuck inside a submit the emulator has accepted
        const submitting = () =>
          ledger.rows<{ readonly worker_id: string; readonly fingerprint: string }>(
            `SELECT w.worker_id, w.fingerprint FROM asrflow_jobs j
            JOIN asrflow_job_items i ON i.job_id = j.job_id JOIN asrflow_work w ON w.fingerprint = i.fingerprint
            WHERE j.status = 'submitting' AND w.run_name = 'batch'`
          ).catch(() => [])
        await waitFor(
          "three submits held open",
          async () => (await submitting()).length === 3 && (await emulator.report()).tasks.submitted === 3
        )
        const victim = workers[0]!
        const held = (await submitting()).find((row) => row.worker_id.includes(`:${victim.child.pid}:`))!
        assert.isDefined(held, "the first worker holds one of the submits")
        kill(victim.child, "SIGKILL")
        const killedAt = Date.now()
        await victim.exited
        // the others' submits are answered now, and from here on at once
        await emulator.setConfig({ latency_ms: { submit: 0 } })
        await emulator.advance(600_000)

        await waitFor("the held item taken over", async () => {
          const rows = await ledger.rows<{ readonly worker_id: string | null }>(
            `SELECT worker_id FROM asrflow_work WHERE run_name = 'batch' AND fingerprint = '${held.fingerprint}'`
          )
          return rows[0]?.worker_id !== held.worker_id && rows[0]?.worker_id !== null
        }, 30_000)
        const takeoverMs = Date.now() - killedAt
        assert.isAtMost(takeoverMs, 3_000 + 10_000, "taken over within the lease + 10 s")

        const survivors = await Promise.all([workers[1]!.exited, workers[2]!.exited])
        for (const survivor of survivors) assert.strictEqual(survivor.code, 0, survivor.stderr)

        // exactly once: every item done, every audio submitted once (the held task was found, not sent again)
        const states = await ledger.rows<{ readonly status: string; readonly n: string }>(
          "SELECT status, COUNT(*) AS n FROM asrflow_work WHERE run_name = 'batch' GROUP BY status"
        )
        assert.deepStrictEqual(states.map((row) => [row.status, Number(row.n)]), [["done", 60]])
        const report = await emulator.report()
        assert.deepStrictEqual(report.violations, [])
        const perAudio = Object.values(report.submissions_per_audio)
        assert.strictEqual(perAudio.length, 60)
        assert.deepStrictEqual([...new Set(perAudio)], [1], "every audio was submitted exactly once")
        assert.strictEqual(report.tasks.submitted, 30)

        // no partial output: the survivors left no temporary file; every visible transcript is whole
        const written = new Set<string>()
        for (const n of [1, 2, 3]) {
          const root = path.join(dir, `out/w${n}`)
          const found = fs.existsSync(root) ? listFiles(root) : []
          if (n > 1) assert.deepStrictEqual(found.filter((file) => /\.(tmp|partial)$/.test(file)), [])
          for (const file of found.filter((file) => /^transcripts\/audio\/[^.][^/]*\.txt$/.test(file))) {
            assert.isAbove(fs.readFileSync(path.join(root, file), "utf8").trim().length, 0, file)
            written.add(file)
          }
        }
        assert.strictEqual(written.size, 60)

        // the run's JSONL and summary, from the ledger, whoever did the work
        const reported = await runCli(["report", "--run", "batch", "--output-dir", "report"], { cwd: dir, env })
        assert.strictEqual(reported.code, 0, reported.stderr)
        const lines = fs.readFileSync(path.join(dir, "report/batch.jsonl"), "utf8").trim().split("\n")
        assert.strictEqual(lines.length, 60)
        assert.deepStrictEqual(
          [...new Set(lines.map((line) => JSON.parse(line).status as string))],
          ["SUCCEEDED"]
        )
        const summary = JSON.parse(fs.readFileSync(path.join(dir, "report/batch.summary.json"), "utf8"))
        assert.deepStrictEqual([summary.total, summary.done, summary.failed, summary.exit_code], [60, 60, 0, 0])
        const status = await runCli(["status", "--run", "batch", "--json"], { cwd: dir, env })
        assert.strictEqual(status.code, 0, status.stderr)
        const parsed = JSON.parse(status.stdout)
        assert.deepStrictEqual(parsed.runs[0].items, { pending: 0, leased: 0, done: 60, failed: 0 })
        assert.strictEqual(parsed.runs[0].workers.length, 3)
        // the URL's password is never shown
        for (const text of [status.stdout, status.stderr, reported.stderr, ...survivors.map((s) => s.stderr)]) {
          assert.notInclude(text, server!.password)
        }
      } finally {
        await ledger.close()
        await emulator.close()
      }
    },
    180_000
  )

  it("a paused worker whose lease was taken over cannot record its late result", async () => {
    const dir = fs.mkdtempSync(path.join(work, "pause-"))
    const files = recordings(dir, 2)
    fs.writeFileSync(path.join(dir, "items.jsonl"), files.map((audio) => JSON.stringify({ audio })).join("\n") + "\n")
    pipeline(dir, "items.jsonl")
    const url = await server!.createDatabase("pause")
    // sync answers are held until the test moves the emulator clock
    const emulator = await startEmulator({
      rate_limits: { requests_per_minute: { default: 6000 } },
      latency_ms: { sync: 600_000 }
    })
    const ledger = ledgerReader(url)
    try {
      const env = environment(dir, emulator, url)
      const paused = spawnWorker(dir, env, ["--run", "r", "--lease-seconds", "2", "--output-dir", "out/paused"])
      await waitFor("a sync request in flight", async () => (await emulator.report()).in_flight === 1)
      kill(paused.child, "SIGSTOP")
      await emulator.setConfig({ latency_ms: { sync: 0 } })
      // the successor takes both items over once the paused worker's lease has expired, and finishes them
      const successor = await runCli(["run", "pipeline.yaml", "--run", "r", "--output-dir", "out/successor"], {
        cwd: dir,
        env
      })
      assert.strictEqual(successor.code, 0, successor.stderr)
      const owners = await ledger.rows<
        { readonly worker_id: string; readonly status: string; readonly claims: number }
      >(
        "SELECT worker_id, status, claims FROM asrflow_work WHERE run_name = 'r' ORDER BY seq"
      )
      assert.deepStrictEqual(owners.map((row) => row.status), ["done", "done"])
      assert.isFalse(owners.some((row) => row.worker_id.includes(`:${paused.child.pid}:`)))

      // the paused worker wakes up and gets its (late) answer: it writes and records nothing
      await emulator.advance(600_000)
      kill(paused.child, "SIGCONT")
      const late = await paused.exited
      assert.include(late.stderr, "another worker took it over")
      const lateFiles = fs.existsSync(path.join(dir, "out/paused"))
        ? listFiles(path.join(dir, "out/paused")).filter((file) => file.startsWith("transcripts/"))
        : []
      assert.deepStrictEqual(lateFiles, [])
      const after = await ledger.rows<{ readonly worker_id: string }>(
        "SELECT worker_id FROM asrflow_work WHERE run_name = 'r' ORDER BY seq"
      )
      assert.deepStrictEqual(after.map((row) => row.worker_id), owners.map((row) => row.worker_id))
      assert.deepStrictEqual(
        listFiles(path.join(dir, "out/successor")).filter((file) => file.endsWith(".txt")).sort(),
        ["transcripts/audio/a-00.txt", "transcripts/audio/a-01.txt"]
      )
    } finally {
      await ledger.close()
      await emulator.close()
    }
  }, 120_000)

  it("4 workers told the account's 600 RPM share it: together they stay under the limit", async () => {
    const dir = fs.mkdtempSync(path.join(work, "rate-"))
    const files = recordings(dir, 80)
    fs.writeFileSync(path.join(dir, "items.jsonl"), files.map((audio) => JSON.stringify({ audio })).join("\n") + "\n")
    pipeline(dir, "items.jsonl", { concurrency: 8, rpm: 600 })
    const url = await server!.createDatabase("rate")
    // a bucket of 12 refilled at 10 per second: 4 workers pacing 600 RPM each would empty it at once
    const emulator = await startEmulator({
      rate_limits: { requests_per_minute: { "qwen3-asr-flash": 600 }, burst_fraction: 0.02 },
      latency_ms: { sync: 100 }
    })
    const ledger = ledgerReader(url)
    try {
      const env = environment(dir, emulator, url)
      const workers = [1, 2, 3, 4].map((n) => spawnWorker(dir, env, ["--run", "rate", "--output-dir", `out/w${n}`]))
      const results = await Promise.all(workers.map((worker) => worker.exited))
      for (const result of results) assert.strictEqual(result.code, 0, result.stderr)
      const done = await ledger.rows<{ readonly n: string }>(
        "SELECT COUNT(*) AS n FROM asrflow_work WHERE run_name = 'rate' AND status = 'done'"
      )
      assert.strictEqual(Number(done[0]!.n), 80)
      const report = await emulator.report()
      const starts = Object.entries(report.counts).filter(([key]) => key.startsWith("compatible "))
        .reduce((sum, [, n]) => sum + n, 0)
      assert.isAtLeast(starts, 80)
      assert.isAtMost(report.rate_limited_429, Math.floor(starts * 0.02), JSON.stringify(report.counts))
      // the workers shared the items
      const byWorker = await ledger.rows<{ readonly worker_id: string }>(
        "SELECT DISTINCT worker_id FROM asrflow_work WHERE run_name = 'rate'"
      )
      assert.isAtLeast(byWorker.length, 2)
    } finally {
      await ledger.close()
      await emulator.close()
    }
  }, 120_000)
})
