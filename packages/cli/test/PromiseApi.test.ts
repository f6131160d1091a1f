import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { repoRoot, tempDir } from "./utils/Cli.js"

const work = tempDir("asrflow-promise-api-")

// the built Promise API, from plain JavaScript in its own process (as a user's program runs it)
const script = `import { runPipeline } from ${JSON.stringify(path.join(repoRoot, "packages/cli/dist/api.js"))}
const phases = new Set()
const summary = await runPipeline(${JSON.stringify(path.join(repoRoot, "examples/quickstart/pipeline.yaml"))}, {
  emulator: true,
  outputDir: process.env.OUT,
  verbose: process.argv.includes("--verbose"),
  onEvent: (event) => phases.add(event.phase ?? event.type)
})
console.log(JSON.stringify({ done: summary.done, phases: [...phases].sort() }))
`

const runScript = (dir: string, args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(dir, "run.mjs"), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", HOME: dir, OUT: path.join(dir, "out") }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

describe("the Promise API", () => {
  it("prints nothing unless asked; verbose prints a line per item; onEvent gets every phase", async () => {
    const dir = fs.mkdtempSync(path.join(work, "run-"))
    fs.writeFileSync(path.join(dir, "run.mjs"), script)
    const quiet = await runScript(dir, [])
    assert.strictEqual(quiet.code, 0, quiet.stderr)
    assert.strictEqual(quiet.stderr, "")
    const result = JSON.parse(quiet.stdout)
    assert.strictEqual(result.done, 4)
    for (const phase of ["planned", "probed", "transcribed", "written"]) assert.include(result.phases, phase)

    fs.rmSync(path.join(dir, "out"), { recursive: true, force: true })
    const verbose = await runScript(dir, ["--verbose"])
    assert.strictEqual(verbose.code, 0, verbose.stderr)
    const lines = verbose.stderr.split("\n").filter((line) => /^asrflow: \[\d\/4\] wrote /.test(line))
    assert.strictEqual(lines.length, 4, verbose.stderr)
  })
})
