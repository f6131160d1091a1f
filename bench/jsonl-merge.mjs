// The JSONL sink's merge at the end of a run (`@asrflow/sinks/JsonlMerge.mergeInto`) on a file of 100,000 lines
// of about 880 bytes (a run of 100,000 short items), in a child process of its own: the peak RSS the merge adds
// to the process, and its CPU. The ratio is the peak added over the file's size (the merge streams; holding
// the file would be 1 or more). Three runs, min/median/max.
//
//   node bench/jsonl-merge.mjs [--lines 100000] [--runs 3] [--repeat 0.01]
//   --repeat: the share of keys written again in a second generation (a resumed run's lines), which takes the
//             merge's third pass
//
// Needs the built packages (`npm run build` or `node scripts/build.mjs --fast`).
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { option } from "./lib/args.mjs"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const lines = Number(option("lines", "100000"))
const runs = Number(option("runs", "3"))
const repeat = Number(option("repeat", "0"))

const work = fs.mkdtempSync(path.join(os.tmpdir(), "asrflow-bench-merge-"))
const line = (i, v) =>
  JSON.stringify({ output_key: `f${String(Math.floor(i / 1000)).padStart(3, "0")}/clip-${i}`, v, text: "x".repeat(820) })
const writeLines = (file, indices, v) => {
  const out = fs.openSync(file, "w")
  let buffer = ""
  for (const i of indices) {
    buffer += `${line(i, v)}\n`
    if (buffer.length > 1 << 20) (fs.writeSync(out, buffer), (buffer = ""))
  }
  fs.writeSync(out, buffer)
  fs.closeSync(out)
}
const source = path.join(work, "source.jsonl")
writeLines(source, Array.from({ length: lines }, (_, i) => i), 1)
const again = path.join(work, "again.jsonl")
writeLines(again, Array.from({ length: Math.round(lines * repeat) }, (_, i) => i * Math.floor(1 / (repeat || 1))), 2)
const size = fs.statSync(source).size + fs.statSync(again).size

// the child: copies the generations (a merge consumes nothing, but a fair start reads cold copies), merges,
// and prints its peak RSS before and after and the merge's CPU
const child = `
import { NodeContext } from "@effect/platform-node"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as JsonlMerge from "@asrflow/sinks/JsonlMerge"
const [source, again, target] = process.argv.slice(-3)
const before = process.resourceUsage().maxRSS
const cpu = process.cpuUsage()
await Effect.runPromise(JsonlMerge.mergeInto(target, [
  { file: source, keepUnterminated: true }, { file: again, keepUnterminated: false }
]).pipe(Effect.provide(NodeContext.layer)))
const used = process.cpuUsage(cpu)
console.log(JSON.stringify({ beforeKb: before, afterKb: process.resourceUsage().maxRSS, cpuMs: (used.user + used.system) / 1000, lines: fs.readFileSync(target, "utf8").split("\\n").length - 1 }))
`
const results = []
try {
  for (let run = 0; run < runs; run++) {
    const target = path.join(work, `merged-${run}.jsonl`)
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", child, source, again, target], {
      cwd: root,
      encoding: "utf8"
    })
    if (result.status !== 0) throw new Error(`the merge failed: ${result.stderr}`)
    const figures = JSON.parse(result.stdout)
    if (figures.lines !== lines) throw new Error(`the merge wrote ${figures.lines} lines, not ${lines}`)
    results.push({ addedMb: (figures.afterKb - figures.beforeKb) / 1024, cpuMs: figures.cpuMs })
    fs.rmSync(target)
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
const spread = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) }
}
const round = (value) => Number(value.toFixed(2))
const added = spread(results.map((r) => r.addedMb))
const cpu = spread(results.map((r) => r.cpuMs))
console.log(JSON.stringify({
  bench: "jsonl-merge",
  lines,
  repeated: Math.round(lines * repeat),
  file_mb: round(size / 1048576),
  peak_added_mb: { min: round(added.min), median: round(added.median), max: round(added.max) },
  cpu_ms: { min: Math.round(cpu.min), median: Math.round(cpu.median), max: Math.round(cpu.max) },
  ratio: round(added.median / (size / 1048576))
}))
