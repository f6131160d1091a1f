// Starts the built emulator binary as its own process (so it never shares a CPU budget with the
// process under test) and reads its report over HTTP.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

export const startEmulator = async (config = {}) => {
  const dir = mkdtempSync(path.join(tmpdir(), "asrflow-bench-emulator-"))
  const file = path.join(dir, "emulator.json")
  writeFileSync(file, JSON.stringify(config))
  const child = spawn(process.execPath, [path.join(root, "packages/cli/bin/asrflow-emulator.cjs"), "--port", "0", "--config", file], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  const urls = await new Promise((resolve, reject) => {
    let out = ""
    child.stdout.on("data", (chunk) => {
      out += chunk
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]))
    })
    child.on("exit", () => reject(new Error("the emulator exited")))
  }).finally(() =>
    // the emulator reads its config once, before it prints its URLs: nothing is left behind even when a
    // bench is killed before it closes the emulator
    rmSync(dir, { recursive: true, force: true })
  )
  return {
    ...urls,
    pid: child.pid,
    report: async () => (await fetch(`${urls.origin}/__emulator/report`)).json(),
    env: {
      DASHSCOPE_API_KEY: urls.apiKey,
      DASHSCOPE_HTTP_BASE_URL: urls.nativeBaseUrl,
      DASHSCOPE_COMPATIBLE_BASE_URL: urls.compatibleBaseUrl
    },
    close: () => new Promise((resolve) => {
      child.once("exit", () => resolve())
      child.kill("SIGTERM")
    })
  }
}

export const cli = path.join(root, "packages/cli/bin/asrflow.cjs")
