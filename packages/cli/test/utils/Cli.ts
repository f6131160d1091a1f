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

/** The variables that point the binary at `emulator` (its key and both base URLs), with outputs under `output`. */
export const emulatorEnv = (
  emulator: { readonly apiKey: string; readonly nativeBaseUrl: string; readonly compatibleBaseUrl: string },
  output?: string
): Record<string, string> => ({
  DASHSCOPE_API_KEY: emulator.apiKey,
  DASHSCOPE_HTTP_BASE_URL: emulator.nativeBaseUrl,
  DASHSCOPE_COMPATIBLE_BASE_URL: emulator.compatibleBaseUrl,
  ...(output === undefined ? {} : { OUTPUT_DIR: output })
})

/**
 * Writes a pipeline over one folder to qwen's sync model, with the emulator's limits off and the client's pacing
 * pinned far above them (pacing is not what such a test is about).
 */
export const folderPipeline = (file: string, options: {
  readonly output: string
  readonly include: string
  readonly sinks: ReadonlyArray<string>
  readonly concurrency?: number
}): string => {
  fs.writeFileSync(
    file,
    [
      "version: 1",
      `output_dir: ${options.output}`,
      "sources:",
      "  - type: files",
      `    include: ["${options.include}"]`,
      ...(options.concurrency === undefined ? [] : [`concurrency: ${options.concurrency}`]),
      "provider:",
      "  type: qwen",
      "  model: qwen3-asr-flash",
      "  rate_limit: { requests_per_minute: 1000000, adaptive: false }",
      "sinks:",
      ...options.sinks.map((sink) => `  - type: ${sink}`),
      ""
    ].join("\n")
  )
  return file
}

export interface CliOptions {
  readonly cwd?: string
  readonly env?: Record<string, string | undefined>
  readonly timeoutMs?: number
  /** Another program to run instead of the built binary (e.g. a CLI of one's own), with node flags. */
  readonly script?: { readonly file: string; readonly nodeArgs: ReadonlyArray<string> }
  /** Written to the program's stdin, which is then closed (else stdin is closed at once). */
  readonly stdin?: string
}

/** A running `asrflow`: wait for what it prints, send it signals, then collect its result. */
export interface RunningCli {
  readonly pid: number
  readonly kill: (signal: NodeJS.Signals) => void
  /** Resolves with the first complete stdout line that `matches` (lines already printed count). */
  readonly stdoutLine: (matches: (line: string) => boolean) => Promise<string>
  /** Resolves once stderr (so far) matches `pattern`. */
  readonly stderrMatch: (pattern: RegExp) => Promise<void>
  readonly result: Promise<CliResult>
}

/**
 * Starts the built `asrflow` binary as a user would, with a clean environment plus `env`. TMPDIR is passed
 * on, so whatever the binary leaves in the temp dir stays in the test run's own (vitest.globalSetup.ts).
 */
export const startCli = (args: ReadonlyArray<string>, options: CliOptions = {}): RunningCli => {
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
  let closed = false
  const watchers = new Set<() => void>()
  const notify = () => watchers.forEach((watcher) => watcher())
  child.stdout.on("data", (chunk) => {
    stdout += chunk
    notify()
  })
  child.stderr.on("data", (chunk) => {
    stderr += chunk
    notify()
  })
  child.stdin.end(options.stdin ?? "")
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000)
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      closed = true
      resolve({ code, stdout, stderr })
      notify()
    })
  })
  // waits for `found` to give a value; fails when the program ends without it
  const until = <A>(found: () => A | undefined, what: string) =>
    new Promise<A>((resolve, reject) => {
      const check = () => {
        const value = found()
        if (value !== undefined) {
          watchers.delete(check)
          resolve(value)
        } else if (closed) {
          watchers.delete(check)
          reject(new Error(`asrflow ended before ${what}\nstdout: ${stdout}\nstderr: ${stderr}`))
        }
      }
      watchers.add(check)
      check()
    })
  return {
    pid: child.pid!,
    kill: (signal) => child.kill(signal),
    stdoutLine: (matches) => until(() => stdout.split("\n").slice(0, -1).find(matches), "the stdout line awaited"),
    stderrMatch: (pattern) =>
      until(() => (pattern.test(stderr) ? true : undefined), `stderr matched ${pattern}`).then(() => {}),
    result
  }
}

/** Runs the built `asrflow` binary (see `startCli`) to its end. */
export const runCli = (args: ReadonlyArray<string>, options: CliOptions = {}): Promise<CliResult> =>
  startCli(args, options).result
