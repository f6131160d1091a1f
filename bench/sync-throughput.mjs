// How close a sync batch gets to the provider's per-minute limit, and how many 429s it causes.
// The emulator enforces RPM; asrflow paces request starts to the same RPM. Ideal: 100 % of the
// limit with no 429. Prints the achieved rate as a ratio to the limit, measured in this run.
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { cli, startEmulator } from "./lib/emulator.mjs"

const rpm = Number(process.env.BENCH_RPM ?? 1200)
const items = Number(process.env.BENCH_ITEMS ?? 400)

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asrflow-bench-sync-"))
const audio = path.join(dir, "audio")
fs.mkdirSync(audio)
execFileSync("espeak-ng", ["-w", path.join(dir, "seed.wav"), "A short benchmark sentence."])
for (let i = 0; i < items; i++) fs.copyFileSync(path.join(dir, "seed.wav"), path.join(audio, `clip-${String(i).padStart(4, "0")}.wav`))
fs.writeFileSync(
  path.join(dir, "pipeline.yaml"),
  [
    "version: 1",
    "sources:",
    "  - type: files",
    "    include: [audio]",
    "concurrency: 32",
    "provider:",
    "  type: qwen",
    "  model: qwen3-asr-flash",
    `  rate_limit: { requests_per_minute: ${rpm} }`,
    "  retry: { attempts: 8, initial_backoff_ms: 200, max_backoff_ms: 5000 }",
    "sinks:",
    "  - type: text",
    ""
  ].join("\n")
)

// The emulator allows one second of burst: a client that does not pace gets 429s at once.
const emulator = await startEmulator({ rate_limits: { requests_per_minute: { default: rpm }, burst_seconds: 1 } })
const started = process.hrtime.bigint()
const result = spawnSync(process.execPath, [cli, "run", "pipeline.yaml"], {
  cwd: dir,
  env: { PATH: process.env.PATH, HOME: dir, ...emulator.env },
  encoding: "utf8"
})
const seconds = Number(process.hrtime.bigint() - started) / 1e9
const report = await emulator.report()
await emulator.close()
fs.rmSync(dir, { recursive: true, force: true })
if (result.status !== 0) {
  console.error(result.stderr)
  process.exit(1)
}
const requests = report.requests.compatible ?? 0
const throttled = report.throttled_429
// The ideal is every request started exactly at the limit's pace, from the first second on; the
// measured time includes the CLI's start, listing and probing of the files.
const ideal = items / (rpm / 60)
const achieved = ideal / seconds
console.log(
  JSON.stringify({
    bench: "sync-throughput",
    items,
    rpm,
    seconds: Number(seconds.toFixed(2)),
    ideal_seconds: Number(ideal.toFixed(2)),
    rate_vs_limit: Number(achieved.toFixed(3)),
    requests,
    throttled_429: throttled,
    throttled_ratio: Number((throttled / Math.max(1, requests)).toFixed(4))
  })
)
