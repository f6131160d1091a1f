// The cold start of `asrflow --help` and `asrflow --version` against `node -e 0`, the floor for any Node
// CLI on this machine. The three commands take turns within each round, so a busy moment of a shared
// machine slows all of them alike; prints min/median/max of each and the ratios of the medians.
//   node bench/cold-start.mjs [path/to/asrflow]     (default: the clone's packages/cli/bin/asrflow.cjs)
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const runs = Number(process.env.BENCH_RUNS ?? 10)
const binary = path.resolve(process.argv[2] ?? path.join(root, "packages/cli/bin/asrflow.cjs"))

const commands = {
  node: ["-e", "0"],
  help: [binary, "--help"],
  version: [binary, "--version"]
}

const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]))
for (let round = 0; round < runs; round++) {
  for (const [name, args] of Object.entries(commands)) {
    const start = process.hrtime.bigint()
    const result = spawnSync(process.execPath, args, { encoding: "utf8" })
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6
    if (result.status !== 0) throw new Error(`${args.join(" ")} exited with ${result.status}: ${result.stderr}`)
    times[name].push(elapsed)
  }
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const round = (value) => Number(value.toFixed(1))
  return { min: round(sorted[0]), median: round(sorted[Math.floor(sorted.length / 2)]), max: round(sorted.at(-1)) }
}
const node = stats(times.node)
const help = stats(times.help)
const version = stats(times.version)
console.log(
  JSON.stringify({
    bench: "cold-start",
    runs,
    node_ms: node,
    asrflow_help_ms: help,
    asrflow_version_ms: version,
    help_ratio: Number((help.median / node.median).toFixed(2)),
    version_ratio: Number((version.median / node.median).toFixed(2))
  })
)
