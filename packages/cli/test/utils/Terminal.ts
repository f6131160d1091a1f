import { Terminal } from "@xterm/headless"
import { execFileSync, spawn } from "node:child_process"
import * as os from "node:os"
import { binary } from "./Cli.js"

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`

/** A run of the built binary under a pseudo-terminal (util-linux `script`): stdout and stderr are a TTY. */
export interface TerminalRun {
  /** Everything the terminal received so far, escape sequences included. */
  readonly output: () => string
  /** Resolves once the output matches `pattern` (rejects after `timeoutMs`, a safety net, not a timing). */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>
  readonly signal: (signal: NodeJS.Signals) => void
  readonly exited: Promise<{ readonly code: number | null; readonly output: string }>
}

/** Starts `asrflow args…` in a `cols`×`rows` terminal with a clean environment plus `env`. */
export const startInTerminal = (
  args: ReadonlyArray<string>,
  options: {
    readonly cwd: string
    readonly env?: Record<string, string | undefined>
    readonly cols?: number
    readonly rows?: number
  }
): TerminalRun => {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    TMPDIR: os.tmpdir(),
    TERM: "xterm-256color"
  }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value !== undefined) env[key] = value
  }
  // `exec` so that a signal sent to the script's child reaches asrflow itself
  const command = `stty cols ${options.cols ?? 100} rows ${options.rows ?? 30}; exec ${
    [process.execPath, binary, ...args].map(quote).join(" ")
  }`
  const child = spawn("script", ["-qefc", command, "/dev/null"], {
    cwd: options.cwd,
    env,
    stdio: ["pipe", "pipe", "pipe"]
  })
  let output = ""
  const waiters: Array<() => void> = []
  child.stdout.on("data", (chunk) => {
    output += chunk
    for (const wake of waiters.splice(0)) wake()
  })
  child.stderr.on("data", (chunk) => (output += chunk))
  const exited = new Promise<{ readonly code: number | null; readonly output: string }>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code) => {
      for (const wake of waiters.splice(0)) wake()
      resolve({ code, output })
    })
  })
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in the terminal:\n${output}`)), timeoutMs)
      const check = () => {
        if (pattern.test(output)) {
          clearTimeout(timer)
          resolve()
        } else if (child.exitCode !== null) {
          clearTimeout(timer)
          reject(new Error(`asrflow exited before ${pattern}:\n${output}`))
        } else {
          waiters.push(check)
        }
      }
      check()
    })
  // the pty's process is asrflow itself (`exec`): find it as the child of `script`
  const signal = (name: NodeJS.Signals) => {
    const pids = spawnSyncChildren(child.pid!)
    for (const pid of pids) process.kill(pid, name)
  }
  return { output: () => output, waitFor, signal, exited }
}

const spawnSyncChildren = (parent: number): Array<number> => {
  const text = execFileSync("ps", ["-o", "pid=", "--ppid", String(parent)], { encoding: "utf8" })
  return text.split("\n").map((line) => Number(line.trim())).filter((pid) => pid > 0)
}

/** What a `cols`×`rows` terminal shows after receiving `output` (scrollback included), one entry per line of output. */
export const screen = (output: string, cols = 100, rows = 30): Promise<ReadonlyArray<string>> =>
  new Promise((resolve) => {
    const terminal = new Terminal({ cols, rows, allowProposedApi: true })
    terminal.write(output, () => {
      const buffer = terminal.buffer.active
      const lines: Array<string> = []
      for (let i = 0; i < buffer.length; i++) {
        const line = buffer.getLine(i)
        const text = line?.translateToString(false) ?? ""
        // a line the terminal wrapped is one line of the program's output
        if (line?.isWrapped === true && lines.length > 0) lines[lines.length - 1] += text
        else lines.push(text)
      }
      const trimmed = lines.map((line) => line.trimEnd())
      while (trimmed.length > 0 && trimmed.at(-1) === "") trimmed.pop()
      terminal.dispose()
      resolve(trimmed)
    })
  })

/** SGR sequences that set a colour or a style (not cursor movement or erasing). */
// eslint-disable-next-line no-control-regex
export const styles = /\u001b\[(?:\d+;)*\d+m/
