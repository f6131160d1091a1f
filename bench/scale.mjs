// One process, many items: what `asrflow run` costs per item as the batch grows. The emulator runs as its own
// process with its limits off (and the client's pacing pinned far above what the machine can do), so the
// figures are the client's own work. One short WAV is hard-linked under distinct names; sinks text + jsonl;
// concurrency 32. Printed per size: wall time, items/s, the client's CPU ms per item and peak RSS (read from
// `process.resourceUsage()` inside the child when it exits), and the time of a resumed run with every item
// done. Then `run --dry-run` and `validate` on a 100,000-row manifest.
//
//   node bench/scale.mjs                  # 1,000 and 10,000 items, then the 100,000-row plan
//   node bench/scale.mjs --full           # also 100,000 items (about 25 minutes on 2 cores)
//   node bench/scale.mjs --sizes "" --rows 10000   # only the plan half: dry run and validate of 10,000 rows
//   options: --sizes 1000,20000 (instead of the defaults), --rows N (manifest rows, default 100000),
//            --no-plan (skip the manifest), --cpu-prof DIR (a V8 CPU profile of each run, into DIR),
//            --heap-at 1000,20000 (a heap snapshot of the run when the emulator has answered that many items;
//            written into the --cpu-prof DIR, or the current folder)
//
// The work (audio, outputs, ledger) is in the system's temp folder; TMPDIR=/dev/shm puts it on a tmpfs, which takes
// the disk's file system out of the system time (a text file per item is an inode per item: on this machine's ext4,
// freshly emptied by the previous size, finding a free inode was a fifth of all CPU; bench/README.md, issue 18).
//
// Files deleted just before a run can bill it: on an ext4 without a journal (this machine's root file system;
// `ls /proc/fs/jbd2` lists no device for it), creating a file skips every inode freed in the last 1–6 minutes in
// its group, one lookup each, so a size run right after the previous size's folder was deleted spent up to a
// third of its CPU in the kernel's inode allocator (bench/README.md, stop 27). Each size's folder is therefore
// kept until the bench ends; give the disk a few minutes after deleting many files (a previous bench) before
// measuring, or point TMPDIR at a journaled file system or a tmpfs.
//
// Needs the built CLI (`npm run build` or `node scripts/build.mjs --fast`) and sox. ASRFLOW_BENCH_CLI=<asrflow.cjs>
// measures another build (a copy of packages/cli's bin + dist; NODE_PATH=<repo>/node_modules lets it find
// better-sqlite3), e.g. the one before a change.
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { flag, option } from "./lib/args.mjs"
import { cli, startEmulator } from "./lib/emulator.mjs"

const binary = process.env.ASRFLOW_BENCH_CLI ?? cli
const numbers = (text) => text.split(",").filter((s) => s !== "").map(Number)

const sizes = numbers(option("sizes", flag("full") ? "1000,10000,100000" : "1000,10000"))
const rows = Number(option("rows", "100000"))
const profileDir = option("cpu-prof", undefined)
const heapAt = numbers(option("heap-at", ""))

const work = fs.mkdtempSync(path.join(os.tmpdir(), "asrflow-bench-scale-"))
const clip = path.join(work, "clip.wav")
execFileSync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", clip, "synth", "0.6", "sine", "300-900"])
// the child writes its own resource usage when it exits: CPU and peak RSS of the client alone
const probe = path.join(work, "usage-probe.cjs")
fs.writeFileSync(
  probe,
  `process.on("exit", () => { const u = process.resourceUsage(); require("fs").writeFileSync(process.env.BENCH_USAGE_FILE, ` +
    `JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, userMs: u.userCPUTime / 1000, ` +
    `maxRssKb: u.maxRSS })) })\n`
)

const linkItems = (dir, count) => {
  const names = []
  for (let folder = 0; folder * 1000 < count; folder++) {
    const sub = path.join(dir, "audio", `f${String(folder).padStart(3, "0")}`)
    fs.mkdirSync(sub, { recursive: true })
    // a copy of the clip per folder: a file system allows only so many links to one inode (ext4: 65,000)
    const master = path.join(dir, `clip-${folder}.wav`)
    fs.copyFileSync(clip, master)
    for (let i = folder * 1000; i < Math.min(count, (folder + 1) * 1000); i++) {
      const name = path.join(sub, `clip-${String(i).padStart(6, "0")}.wav`)
      fs.linkSync(master, name)
      names.push(name)
    }
  }
  return names
}

const pipeline = (dir, source) =>
  [
    "version: 1",
    `output_dir: ${path.join(dir, "out")}`,
    "sources:",
    ...source,
    "concurrency: 32",
    "provider:",
    "  type: qwen",
    "  model: qwen3-asr-flash",
    // pinned far above the machine: the emulator's limits are off, so pacing is not what is measured
    "  rate_limit: { requests_per_minute: 1000000, adaptive: false }",
    "sinks:",
    "  - type: text",
    "  - type: jsonl",
    ""
  ].join("\n")

const runCli = (argv, env, { onSpawn } = {}) =>
  new Promise((resolve) => {
    const usageFile = path.join(work, `usage-${process.hrtime.bigint()}.json`)
    const started = process.hrtime.bigint()
    const child = spawn(process.execPath, [...(env.NODE_FLAGS ?? []), "-r", probe, binary, ...argv], {
      env: {
        PATH: process.env.PATH,
        HOME: os.homedir(),
        ...(process.env.NODE_PATH === undefined ? {} : { NODE_PATH: process.env.NODE_PATH }),
        ...env.vars,
        BENCH_USAGE_FILE: usageFile
      },
      stdio: ["ignore", "ignore", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)))
    const stop = onSpawn?.(child)
    child.on("close", (code) => {
      stop?.()
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const usage = fs.existsSync(usageFile) ? JSON.parse(fs.readFileSync(usageFile, "utf8")) : undefined
      resolve({ code, stderr, seconds, usage })
    })
  })

const round = (value, digits = 1) => Number(value.toFixed(digits))

/** Sends SIGUSR2 (a heap snapshot, with --heapsnapshot-signal) once the emulator has answered each count. */
const heapWatcher = (emulator, counts) => (child) => {
  const pending = [...counts].sort((a, b) => a - b)
  if (pending.length === 0) return undefined
  const timer = setInterval(async () => {
    const report = await emulator.report().catch(() => undefined)
    const answered = report?.requests?.compatible ?? 0
    while (pending.length > 0 && answered >= pending[0]) {
      pending.shift()
      child.kill("SIGUSR2")
    }
  }, 250)
  return () => clearInterval(timer)
}

const runSize = async (count) => {
  const dir = path.join(work, `items-${count}`)
  linkItems(dir, count)
  const file = path.join(dir, "pipeline.yaml")
  fs.writeFileSync(file, pipeline(dir, ["  - type: files", `    include: ["${path.join(dir, "audio")}"]`]))
  const emulator = await startEmulator({ seed: 7, rate_limits: { enabled: false } })
  try {
    const profile = (name) =>
      profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`]
    const nodeFlags = [
      ...profile(`run-${count}`),
      ...(heapAt.length > 0 ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${profileDir ?? process.env.BENCH_HEAP_DIR ?? "."}`] : [])
    ]
    const first = await runCli(["run", file], { vars: emulator.env, NODE_FLAGS: nodeFlags }, {
      onSpawn: heapWatcher(emulator, heapAt.filter((at) => at <= count))
    })
    const runs = path.join(dir, "out", "runs")
    const summaries = fs.existsSync(runs) ? fs.readdirSync(runs).filter((name) => name.endsWith(".summary.json")) : []
    if (first.code !== 0 || summaries.length !== 1) {
      throw new Error(`${count} items: exit ${first.code}, ${summaries.length} summaries: ${first.stderr}`)
    }
    const summary = JSON.parse(fs.readFileSync(path.join(runs, summaries[0]), "utf8"))
    const resumed = await runCli(["run", file], { vars: emulator.env, NODE_FLAGS: profile(`resume-${count}`) })
    if (resumed.code !== 0) throw new Error(`${count} items, resumed: exit ${resumed.code}: ${resumed.stderr}`)
    const requests = (await emulator.report()).requests.compatible ?? 0
    return {
      items: count,
      done: summary.done,
      requests,
      wall_s: round(first.seconds),
      items_per_s: round(count / first.seconds),
      cpu_ms_per_item: round(first.usage.cpuMs / count, 2),
      user_ms_per_item: round(first.usage.userMs / count, 2),
      sys_ms_per_item: round((first.usage.cpuMs - first.usage.userMs) / count, 2),
      peak_rss_mb: round(first.usage.maxRssKb / 1024),
      resume_s: round(resumed.seconds),
      resume_cpu_ms_per_item: round(resumed.usage.cpuMs / count, 3)
    }
  } finally {
    // the folder stays until the bench ends (see the note at the top on deleted files)
    await emulator.close()
  }
}

const runPlan = async () => {
  const dir = path.join(work, "plan")
  const names = linkItems(dir, rows)
  fs.writeFileSync(
    path.join(dir, "inputs.csv"),
    ["audio,language_hints", ...names.map((name) => `${path.relative(dir, name)},zh`)].join("\n") + "\n"
  )
  const file = path.join(dir, "pipeline.yaml")
  fs.writeFileSync(file, pipeline(dir, ["  - type: manifest", "    path: inputs.csv"]))
  // no emulator: a plan and a validation send nothing
  const vars = { DASHSCOPE_API_KEY: "sk-bench-plan", DASHSCOPE_HTTP_BASE_URL: "http://127.0.0.1:9" }
  try {
    const dryRun = await runCli(["run", file, "--dry-run"], { vars })
    if (dryRun.code !== 0) throw new Error(`dry run: exit ${dryRun.code}: ${dryRun.stderr}`)
    const validate = await runCli(["validate", file], { vars })
    if (validate.code !== 0) throw new Error(`validate: exit ${validate.code}: ${validate.stderr}`)
    return {
      rows,
      dry_run_s: round(dryRun.seconds),
      dry_run_cpu_s: round(dryRun.usage.cpuMs / 1000),
      dry_run_peak_rss_mb: round(dryRun.usage.maxRssKb / 1024),
      validate_s: round(validate.seconds),
      validate_cpu_s: round(validate.usage.cpuMs / 1000),
      validate_peak_rss_mb: round(validate.usage.maxRssKb / 1024)
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 })
  }
}

const results = []
let plan
try {
  if (profileDir !== undefined) fs.mkdirSync(profileDir, { recursive: true })
  for (const count of sizes) {
    const result = await runSize(count)
    results.push(result)
    console.error(JSON.stringify(result))
  }
  if (!flag("no-plan")) {
    plan = await runPlan()
    console.error(JSON.stringify(plan))
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 5 })
}

console.log("| items | wall (s) | items/s | CPU ms/item (user + system) | peak RSS (MB) | resume, all done (s) |")
console.log("|---|---|---|---|---|---|")
for (const r of results) {
  const cpu = `${r.cpu_ms_per_item} (${r.user_ms_per_item} + ${r.sys_ms_per_item})`
  console.log(`| ${r.items} | ${r.wall_s} | ${r.items_per_s} | ${cpu} | ${r.peak_rss_mb} | ${r.resume_s} |`)
}
if (plan !== undefined) {
  console.log(
    `\n${plan.rows}-row manifest: run --dry-run ${plan.dry_run_s} s (CPU ${plan.dry_run_cpu_s} s, peak RSS ` +
      `${plan.dry_run_peak_rss_mb} MB), validate ${plan.validate_s} s (CPU ${plan.validate_cpu_s} s, peak RSS ` +
      `${plan.validate_peak_rss_mb} MB)`
  )
}
const rss = results.length > 1 ? round(results.at(-1).peak_rss_mb / results[0].peak_rss_mb, 2) : undefined
console.log(JSON.stringify({ bench: "scale", load: os.loadavg().map((v) => round(v, 2)), results, plan, rss_ratio: rss }))
