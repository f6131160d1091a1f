import { startEmulator } from "@asrflow/emulator"
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { binary, emulatorEnv, tempDir } from "./utils/Cli.js"

const work = tempDir("asrflow-stdio-")

/** Runs `command` in sh with a clean environment plus `env`; resolves with its exit code and stdout. */
const shell = (command: string, cwd: string, env: Record<string, string>) =>
  new Promise<{ readonly code: number | null; readonly stdout: string }>((resolve, reject) => {
    const child = spawn("sh", ["-c", command], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: cwd, TMPDIR: os.tmpdir(), ...env }
    })
    let stdout = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout }))
  })

describe("stdout and stderr", () => {
  it("a piped run of 3,000 failing rows ends with its summary (`2>&1 | tail -n 1`)", async () => {
    const dir = fs.mkdtempSync(path.join(work, "big-"))
    const rows = Array.from({ length: 3000 }, (_, i) => `missing/recording-${String(i).padStart(5, "0")}.wav`)
    fs.writeFileSync(path.join(dir, "big.csv"), ["audio", ...rows, ""].join("\n"))
    fs.writeFileSync(
      path.join(dir, "big.yaml"),
      ["version: 1", "sources:", "  - type: manifest", "    path: big.csv", "provider:", "  type: qwen", "sinks:"]
        .concat(["  - type: text", ""]).join("\n")
    )
    const emulator = await startEmulator({})
    try {
      const env = {
        ...emulatorEnv(emulator),
        OUTPUT_DIR: path.join(dir, "out")
      }
      // the 3,000 failure lines are far more than a pipe holds: the process must wait for them to drain
      // the summary's last line: the command that resumes the run (every row failed, so it is unfinished)
      const piped = await shell(`"${process.execPath}" "${binary}" run big.yaml 2>&1 | tail -n 1`, dir, env)
      assert.strictEqual(piped.code, 0)
      assert.match(piped.stdout, /^asrflow: to resume: asrflow run big\.yaml\n$/)
      const withOutputs = await shell(
        `"${process.execPath}" "${binary}" run big.yaml 2>&1 | tail -n 2 | head -n 1`,
        dir,
        env
      )
      assert.match(withOutputs.stdout, /^asrflow: outputs in .*\(summary: .*\.summary\.json\)\n$/)
      const withStatus = await shell(
        `"${process.execPath}" "${binary}" run big.yaml 2>&1 | tail -n 3 | head -n 1`,
        dir,
        env
      )
      assert.match(withStatus.stdout, /^asrflow: 0 done, 3000 failed, 0 skipped of 3000 item\(s\)/)
    } finally {
      await emulator.close()
    }
    // three runs of 3,000 items: generous, so that a loaded machine makes the test slow, never red
  }, 600_000)
})
