// The cold start of `asrflow --help` against `node -e 0`, the floor for any Node CLI on this machine.
// Prints the median of each and their ratio, measured in the same run.
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const runs = Number(process.env.BENCH_RUNS ?? 15)

const median = (args) => {
  const times = []
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint()
    const result = spawnSync(process.execPath, args, { encoding: "utf8" })
    if (result.status !== 0) throw new Error(result.stderr)
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

const node = median(["-e", "0"])
const help = median([path.join(root, "packages/cli/bin/asrflow.mjs"), "--help"])
console.log(
  JSON.stringify({
    bench: "cold-start",
    runs,
    node_ms: Number(node.toFixed(1)),
    asrflow_help_ms: Number(help.toFixed(1)),
    ratio: Number((help / node).toFixed(2))
  })
)
