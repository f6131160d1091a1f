import { afterAll } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..")
export const binary = path.join(repoRoot, "packages/cli/bin/asrflow.cjs")

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * A temp dir for one test file, removed after its last test whatever the outcome. Call it at module level
 * (it registers an `afterAll` hook) and make per-test folders inside it.
 */
export const tempDir = (prefix: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Runs the built `asrflow` binary as a user would, with a clean environment plus `env`. TMPDIR is passed on,
 * so whatever the binary leaves in the temp dir stays in the test run's own (vitest.globalSetup.ts).
 */
export const runCli = (
  args: ReadonlyArray<string>,
  options: {
    readonly cwd?: string
    readonly env?: Record<string, string | undefined>
    readonly timeoutMs?: number
    /** Another program to run instead of the built binary (e.g. a CLI of one's own), with node flags. */
    readonly script?: { readonly file: string; readonly nodeArgs: ReadonlyArray<string> }
  } = {}
): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      TMPDIR: os.tmpdir()
    }
    for (const [key, value] of Object.entries(options.env ?? {})) {
      if (value !== undefined) env[key] = value
    }
    const program = options.script === undefined ? [binary] : [...options.script.nodeArgs, options.script.file]
    const child = spawn(process.execPath, [...program, ...args], { cwd: options.cwd ?? repoRoot, env })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
