// Runs every benchmark in this folder, one after the other; each prints one JSON line with its ratio.
import { spawnSync } from "node:child_process"
import { readdirSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2)
const scripts = readdirSync(here)
  .filter((name) => name.endsWith(".mjs") && name !== "run.mjs")
  .filter((name) => only.length === 0 || only.some((word) => name.includes(word)))
  .sort()
let failed = 0
for (const script of scripts) {
  const result = spawnSync(process.execPath, [path.join(here, script)], { stdio: "inherit" })
  if (result.status !== 0) failed += 1
}
process.exit(failed === 0 ? 0 : 1)
