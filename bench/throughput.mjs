// How close asrflow runs to an account's rate limit, told and not told, against a baseline written the way a
// user would (fixed concurrency, p-limit style, plain exponential retry). Each case gets its own emulator
// (its own process and "account"): a token bucket per model with a burst of 10 % of the limit, 300 ms per
// sync request. Printed per case: % of the limit achieved (ideal = items × 60 / limit, CLI start included;
// and "run": from the start of the run as its summary times it, without the process start),
// the share of requests answered 429, items lost, and the pipeline's CPU ms per item. Also: the limit
// halving mid-run (time to get back under it), and 30 % injected 500/503 plus a 429 burst (time against
// the same run without faults).
//
//   node bench/throughput.mjs            # the full bench: ≥ 3 minutes of work per limit (about 15 minutes)
//   node bench/throughput.mjs --quick    # a smoke run: about 30 s of work per case
//   options: --jobs N (cases run at once, default 4), --only <word> (cases whose name contains it)
//
// Needs the built CLI (`npm run build` or `node scripts/build.mjs --fast`), sox, and nothing else.
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { flag, option } from "./lib/args.mjs"
import { cli, startEmulator } from "./lib/emulator.mjs"

const here = path.dirname(fileURLToPath(import.meta.url))

// =============================================================================
// The baseline, run as its own process: `node bench/throughput.mjs --baseline <json>`
// =============================================================================

const baseline = async ({ baseUrl, apiKey, files, concurrency, attempts }) => {
  const started = process.cpuUsage()
  // p-limit, as a user would write it
  const limit = (n) => {
    let active = 0
    const queue = []
    const next = () => {
      if (active >= n || queue.length === 0) return
      active++
      const { fn, resolve, reject } = queue.shift()
      fn().then(resolve, reject).finally(() => {
        active--
        next()
      })
    }
    return (fn) => new Promise((resolve, reject) => {
      queue.push({ fn, resolve, reject })
      next()
    })
  }
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  const audio = `data:audio/wav;base64,${fs.readFileSync(files[0]).toString("base64")}`
  const transcribe = async () => {
    for (let attempt = 0;; attempt++) {
      const response = await fetch(`${baseUrl}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "qwen3-asr-flash",
          messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: audio } }] }],
          stream: false
        })
      })
      await response.text()
      if (response.ok) return
      if ((response.status === 429 || response.status >= 500) && attempt < attempts) {
        await sleep(1000 * 2 ** attempt)
        continue
      }
      throw new Error(`HTTP ${response.status}`)
    }
  }
  const run = limit(concurrency)
  const results = await Promise.allSettled(files.map(() => run(transcribe)))
  const cpu = process.cpuUsage(started)
  process.stdout.write(JSON.stringify({
    done: results.filter((r) => r.status === "fulfilled").length,
    cpuMs: (cpu.user + cpu.system) / 1000
  }))
}

if (flag("baseline")) {
  await baseline(JSON.parse(fs.readFileSync(option("baseline"), "utf8")))
  process.exit(0)
}

// =============================================================================
// Cases
// =============================================================================

const quick = flag("quick")
const minutes = quick ? 0.5 : 3.2
const faultFree600 = "600 RPM, not told"
const cases = []
for (const limit of [60, 600, 1200]) {
  const items = Math.round(limit * minutes)
  cases.push({ name: `${limit} RPM, told`, limit, items, told: true })
  cases.push({ name: `${limit} RPM, not told`, limit, items, told: false })
  cases.push({ name: `${limit} RPM, baseline`, limit, items, baseline: true })
}
{
  // 600 RPM for the first third of the work, then 300 RPM (another program started using the key)
  const at = quick ? 20_000 : 60_000
  const before = (600 * at) / 60_000
  const items = Math.round(before + 300 * (minutes * 1.2 - at / 60_000))
  cases.push({ name: "600 → 300 RPM mid-run, not told", limit: 600, items, told: false, halveAt: at })
}
cases.push({
  name: "600 RPM, not told, 30 % 500/503 + a 429 burst",
  limit: 600,
  items: Math.round(600 * minutes),
  told: false,
  faults: [
    // the first fault that fires wins: 40 requests in a row answer 429, then 15 % 500 and 15 % 503
    { endpoint: "sync", kind: "throttle", from: 200, to: 239, retry_after_s: null },
    { endpoint: "sync", kind: "internal_error", probability: 0.15 },
    { endpoint: "sync", kind: "model_unavailable", probability: 0.15 / 0.85 }
  ],
  against: faultFree600
})
const only = option("only", "")
const selected = cases.filter((c) => c.name.includes(only))
const jobs = Number(option("jobs", quick ? 6 : 4))

// =============================================================================
// Running one case
// =============================================================================

const work = fs.mkdtempSync(path.join(os.tmpdir(), "asrflow-bench-throughput-"))
const clip = path.join(work, "clip.wav")
execFileSync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", clip, "synth", "0.6", "sine", "300-900"])
const cpuProbe = path.join(work, "cpu-probe.cjs")
fs.writeFileSync(
  cpuProbe,
  `process.on("exit", () => { const u = process.cpuUsage(); require("fs").writeFileSync(process.env.BENCH_CPU_FILE, String((u.user + u.system) / 1000)) })\n`
)

const folderOf = (c, index) => {
  const dir = path.join(work, `case-${index}`)
  fs.mkdirSync(path.join(dir, "audio"), { recursive: true })
  for (let i = 0; i < c.items; i++) {
    fs.linkSync(clip, path.join(dir, "audio", `clip-${String(i).padStart(5, "0")}.wav`))
  }
  return dir
}

const pipelineFor = (c, dir) =>
  [
    "version: 1",
    `output_dir: ${path.join(dir, "out")}`,
    "sources:",
    "  - type: files",
    `    include: ["${path.join(dir, "audio")}"]`,
    "provider:",
    "  type: qwen",
    "  model: qwen3-asr-flash",
    ...(c.told ? [`  rate_limit: { requests_per_minute: ${c.limit} }`] : []),
    "sinks:",
    "  - type: text",
    ""
  ].join("\n")

const spawnJson = (command, argv, env) =>
  new Promise((resolve) => {
    const child = spawn(command, argv, { env: { PATH: process.env.PATH, HOME: os.homedir(), ...env } })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

const series = (report) => report.starts_per_second?.series?.["compatible qwen3-asr-flash"] ?? []

/** Seconds from the halving until the start rate, averaged over 5 s, is back within 5 % of the new limit. */
const backUnder = (rows, halvedAtSecond, perSecond) => {
  const starts = new Map(rows.map(([second, n]) => [second, n]))
  const last = Math.max(...rows.map(([second]) => second))
  for (let s = halvedAtSecond; s + 5 <= last; s++) {
    let sum = 0
    for (let t = s; t < s + 5; t++) sum += starts.get(t) ?? 0
    if (sum / 5 <= perSecond * 1.05) return s + 5 - halvedAtSecond
  }
  return null
}

const runCase = async (c, index) => {
  const dir = folderOf(c, index)
  const emulator = await startEmulator({
    seed: 7,
    rate_limits: {
      requests_per_minute: { default: c.limit },
      burst_fraction: 0.1,
      ...(c.halveAt !== undefined
        ? { schedule: [{ after_ms: c.halveAt, requests_per_minute: { default: c.limit / 2 } }] }
        : {})
    },
    latency_ms: { sync: 300 },
    ...(c.faults ? { faults: c.faults } : {})
  })
  try {
    const started = process.hrtime.bigint()
    const startedAtMs = Date.now()
    let done
    let cpuMs
    let secondRound = 0
    let lanes = []
    let runMs
    if (c.baseline) {
      const files = fs.readdirSync(path.join(dir, "audio")).map((name) => path.join(dir, "audio", name))
      const job = path.join(dir, "baseline.json")
      const settings = { baseUrl: emulator.compatibleBaseUrl, apiKey: emulator.apiKey, files, concurrency: 16, attempts: 5 }
      fs.writeFileSync(job, JSON.stringify(settings))
      const result = await spawnJson(process.execPath, [fileURLToPath(import.meta.url), "--baseline", job], {})
      if (result.code !== 0) throw new Error(`${c.name}: the baseline exited ${result.code}: ${result.stderr.slice(-2000)}`)
      const parsed = JSON.parse(result.stdout)
      done = parsed.done
      cpuMs = parsed.cpuMs
    } else {
      const file = path.join(dir, "pipeline.yaml")
      fs.writeFileSync(file, pipelineFor(c, dir))
      const cpuFile = path.join(dir, "cpu.txt")
      const result = await spawnJson(process.execPath, ["-r", cpuProbe, cli, "run", file], {
        ...emulator.env,
        BENCH_CPU_FILE: cpuFile
      })
      const runs = path.join(dir, "out", "runs")
      const summaryFile = fs.existsSync(runs) ? fs.readdirSync(runs).find((name) => name.endsWith(".summary.json")) : undefined
      if (summaryFile === undefined) throw new Error(`${c.name}: no summary (exit ${result.code}): ${result.stderr.slice(-2000)}`)
      const summary = JSON.parse(fs.readFileSync(path.join(runs, summaryFile), "utf8"))
      if (result.code !== 0) process.stderr.write(`${c.name}: exit ${result.code}\n${result.stderr.slice(-2000)}\n`)
      done = summary.done
      secondRound = summary.second_round ?? 0
      runMs = summary.elapsed_ms
      lanes = summary.lanes ?? []
      cpuMs = Number(fs.readFileSync(cpuFile, "utf8"))
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const report = await emulator.report()
    const requests = report.requests.compatible ?? 0
    const ideal = c.halveAt === undefined
      ? (c.items * 60) / c.limit
      : c.halveAt / 1000 + ((c.items - (c.limit * c.halveAt) / 60_000) * 60) / (c.limit / 2)
    const rows = series(report)
    // seconds from the spawn to the first request: the CLI's start, listing and probing, before any pacing
    const originOffset = (report.starts_per_second?.origin_ms ?? 0) - startedAtMs
    const firstStart = rows.length === 0 ? undefined : Math.max(0, rows[0][0] + originOffset / 1000)
    return {
      case: c.name,
      items: c.items,
      seconds: Number(seconds.toFixed(1)),
      of_limit: Number(((100 * ideal) / seconds).toFixed(1)),
      // the same without the CLI's own start (the run as its summary times it: listing, probing, pacing)
      of_limit_run: runMs === undefined ? undefined : Number(((100 * ideal * 1000) / runMs).toFixed(1)),
      requests,
      share_429: Number(((100 * report.throttled_429) / Math.max(1, requests)).toFixed(2)),
      lost: c.items - done,
      cpu_ms_per_item: Number((cpuMs / c.items).toFixed(2)),
      first_request_s: firstStart === undefined ? undefined : Math.round(firstStart),
      second_round: secondRound,
      ...(c.halveAt !== undefined
        ? { back_under_s: backUnder(rows, Math.round(c.halveAt / 1000), c.limit / 2 / 60) }
        : {}),
      lane_rpm: lanes.find((lane) => lane.lane.includes("sync"))?.requests_per_minute,
      violations: report.violations.length
    }
  } finally {
    await emulator.close()
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 })
  }
}

// =============================================================================
// Main
// =============================================================================

const results = new Array(selected.length)
let nextCase = 0
const worker = async () => {
  while (nextCase < selected.length) {
    const index = nextCase++
    // a case that breaks is reported and the others go on (and keep their folders until they end)
    const result = await runCase(selected[index], index).catch((error) => ({
      case: selected[index].name,
      error: String(error?.message ?? error).slice(0, 500)
    }))
    results[index] = result
    console.error(JSON.stringify(result))
  }
}
const benchStarted = Date.now()
try {
  await Promise.all(Array.from({ length: Math.min(jobs, selected.length) }, worker))
} finally {
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 5 })
}

const byName = new Map(results.map((r) => [r.case, r]))
for (const c of selected) {
  if (c.against !== undefined && byName.has(c.against)) {
    byName.get(c.name).vs_fault_free = Number((byName.get(c.name).seconds / byName.get(c.against).seconds).toFixed(2))
  }
}
const columns = [
  ["case", "case"],
  ["items", "items"],
  ["seconds", "time (s)"],
  ["of_limit", "% of limit"],
  ["of_limit_run", "% of limit (run)"],
  ["share_429", "% 429"],
  ["lost", "lost"],
  ["cpu_ms_per_item", "CPU ms/item"],
  ["first_request_s", "1st request (s)"],
  ["second_round", "2nd round"],
  ["lane_rpm", "final RPM"],
  ["back_under_s", "back under (s)"],
  ["vs_fault_free", "× fault-free"]
]
const cell = (value) => value === undefined ? "" : String(value)
console.log(`| ${columns.map(([, title]) => title).join(" | ")} |`)
console.log(`|${columns.map(() => "---").join("|")}|`)
for (const result of results) console.log(`| ${columns.map(([key]) => cell(result[key])).join(" | ")} |`)
for (const result of results.filter((r) => r.error !== undefined)) console.log(`\n${result.case}: ${result.error}`)
console.log(`\n${quick ? "quick" : "full"} run, ${jobs} cases at once, ${((Date.now() - benchStarted) / 60_000).toFixed(1)} min`)
console.log(JSON.stringify({ bench: "throughput", quick, results }))
