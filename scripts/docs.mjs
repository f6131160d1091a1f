// Regenerates what is derived from the schema annotations: schema/pipeline.schema.json and the
// pipeline reference section of the README. A test fails when either is stale.
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"

const cli = (...args) => execFileSync(process.execPath, ["packages/cli/bin/asrflow.cjs", ...args], { encoding: "utf8" })

writeFileSync("schema/pipeline.schema.json", cli("schema"))
const start = "<!-- pipeline-reference:start -->"
const end = "<!-- pipeline-reference:end -->"
const readme = readFileSync("README.md", "utf8")
const [before, rest] = readme.split(start)
const [, after] = rest.split(end)
writeFileSync("README.md", `${before}${start}\n${cli("schema", "--markdown")}${end}${after}`)
