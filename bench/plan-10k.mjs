// Planning a large batch: `asrflow run --dry-run` and `asrflow validate` on a 10,000-row CSV manifest of
// distinct local WAV files (half a second each, written here). The two commands take turns within each
// round, so a busy moment of a shared machine slows both alike; prints min/median/max of each and the
// ratio of the medians. No network: a plan sends nothing, and validate reads only the files.
//   node bench/plan-10k.mjs [rows=10000]     (BENCH_RUNS rounds, default 3)
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { wavFile } from "./lib/wav.mjs"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const binary = path.join(root, "packages/cli/bin/asrflow.cjs")
const rows = Number(process.argv[2] ?? 10_000)
const runs = Number(process.env.BENCH_RUNS ?? 3)

const wav = (index) => {
  const rate = 8000
  const data = Buffer.alloc(rate) // 0.5 s of 16-bit mono
  for (let i = 0; i < data.length; i += 2) data.writeInt16LE(((i * (index + 7)) % 2000) - 1000, i)
  return wavFile(rate, data)
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asrflow-bench-plan-"))
try {
  fs.mkdirSync(path.join(dir, "audio"))
  const lines = ["audio,language_hints"]
  for (let i = 0; i < rows; i++) {
    const name = `audio/r${String(i).padStart(5, "0")}.wav`
    fs.writeFileSync(path.join(dir, name), wav(i))
    lines.push(`${name},zh`)
  }
  fs.writeFileSync(path.join(dir, "inputs.csv"), lines.join("\n") + "\n")
  fs.writeFileSync(
    path.join(dir, "pipeline.yaml"),
    [
      "version: 1",
      "sources:",
      "  - type: manifest",
      "    path: inputs.csv",
      "provider:",
      "  type: qwen",
      "  model: auto",
      "sinks:",
      "  - type: text",
      "  - type: json",
      "  - type: jsonl",
      ""
    ].join("\n")
  )
  const commands = { dry_run: ["run", "pipeline.yaml", "--dry-run"], validate: ["validate", "pipeline.yaml"] }
  const times = { dry_run: [], validate: [] }
  for (let round = 0; round < runs; round++) {
    for (const [name, args] of Object.entries(commands)) {
      const start = process.hrtime.bigint()
      const result = spawnSync(process.execPath, [binary, ...args], {
        cwd: dir,
        encoding: "utf8",
        maxBuffer: 1 << 30,
        env: { ...process.env, OUTPUT_DIR: path.join(dir, "out") }
      })
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6
      if (result.status !== 0) throw new Error(`${args.join(" ")} exited with ${result.status}: ${result.stderr}`)
      times[name].push(elapsed)
    }
  }
  const stats = (values) => {
    const sorted = [...values].sort((a, b) => a - b)
    const round = (value) => Number((value / 1000).toFixed(2))
    return { min: round(sorted[0]), median: round(sorted[Math.floor(sorted.length / 2)]), max: round(sorted.at(-1)) }
  }
  const dryRun = stats(times.dry_run)
  const validate = stats(times.validate)
  console.log(JSON.stringify({
    bench: "plan-10k",
    rows,
    runs,
    load: os.loadavg().map((value) => Number(value.toFixed(2))),
    dry_run_s: dryRun,
    validate_s: validate,
    ratio: Number((dryRun.median / validate.median).toFixed(2))
  }))
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}
