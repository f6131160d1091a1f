import * as esbuild from "esbuild"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { tempDir } from "./utils/audio.js"

// The binary is bundled the way scripts/build.mjs bundles it, so the test runs what users run.
const buildDir = tempDir()
const bin = path.join(buildDir, "bin.mjs")

beforeAll(async () => {
  await esbuild.build({
    entryPoints: [path.resolve(__dirname, "../src/bin.ts")],
    outfile: bin,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    banner: {
      js:
        "import { createRequire as __asrflowCreateRequire } from 'node:module'; const require = __asrflowCreateRequire(import.meta.url);"
    },
    logLevel: "warning"
  })
})

afterAll(() => fs.rmSync(buildDir, { recursive: true, force: true }))

const run = (args: Array<string>) => {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (d) => (stdout += d))
  child.stderr.on("data", (d) => (stderr += d))
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", () => {
      if (stdout.includes("\n")) resolve(stdout.split("\n")[0]!)
    })
    child.on("exit", () => reject(new Error(`exited before printing: ${stderr}`)))
  })
  firstLine.catch(() => undefined)
  return { child, exit, firstLine, output: () => ({ stdout, stderr }) }
}

describe("asrflow-emulator binary", () => {
  it("prints one JSON line with the base URLs and serves until SIGTERM", async () => {
    const dir = fs.mkdtempSync(path.join(buildDir, "case-"))
    const config = path.join(dir, "emulator.json")
    fs.writeFileSync(config, JSON.stringify({ api_key: "sk-from-config", seed: 5 }))
    const proc = run(["--port", "0", "--config", config])
    const line = JSON.parse(await proc.firstLine)
    expect(Object.keys(line)).toEqual(["nativeBaseUrl", "compatibleBaseUrl", "origin", "apiKey"])
    expect(line.apiKey).toBe("sk-from-config")
    expect(line.nativeBaseUrl).toBe(`${line.origin}/api/v1`)
    expect(line.compatibleBaseUrl).toBe(`${line.origin}/compatible-mode/v1`)
    const reply = await fetch(`${line.nativeBaseUrl}/tasks/abc`, {
      headers: { authorization: "Bearer sk-from-config" }
    })
    expect(reply.status).toBe(200)
    proc.child.kill("SIGTERM")
    await proc.exit
    expect(proc.output().stdout.trim().split("\n")).toHaveLength(1)
  })

  it("takes --api-key over the config, and defaults to sk-emulator", async () => {
    const withKey = run(["--api-key", "sk-flag"])
    expect(JSON.parse(await withKey.firstLine).apiKey).toBe("sk-flag")
    withKey.child.kill("SIGINT")
    await withKey.exit
    const plain = run([])
    expect(JSON.parse(await plain.firstLine).apiKey).toBe("sk-emulator")
    plain.child.kill("SIGTERM")
    await plain.exit
  })

  it("exits 2 with a clear message for a missing or invalid config", async () => {
    const missing = run(["--config", "/nonexistent/emulator.json"])
    expect(await missing.exit).toBe(2)
    expect(missing.output().stderr).toContain("cannot read config /nonexistent/emulator.json")
    const dir = fs.mkdtempSync(path.join(buildDir, "case-"))
    const bad = path.join(dir, "bad.json")
    fs.writeFileSync(bad, JSON.stringify({ rate_limit: {} }))
    const invalid = run(["--config", bad])
    expect(await invalid.exit).toBe(2)
    expect(invalid.output().stderr).toContain("invalid config")
    expect(invalid.output().stderr).toContain("rate_limit")
    fs.writeFileSync(bad, "{ not json")
    const notJson = run(["--config", bad])
    expect(await notJson.exit).toBe(2)
    expect(notJson.output().stderr).toContain("not valid JSON")
  })
})
