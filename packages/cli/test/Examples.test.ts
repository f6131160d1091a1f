import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { repoRoot, runCli, tempDir } from "./utils/Cli.js"
import { listFiles } from "./utils/Static.js"

const examples = fs.readdirSync(path.join(repoRoot, "examples"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(repoRoot, "examples", entry.name, "pipeline.yaml")))
  .map((entry) => entry.name)
  .sort()
const work = tempDir("asrflow-examples-")

describe("examples", () => {
  it("has the documented examples", () => {
    assert.deepStrictEqual(examples, ["long-files", "manifest", "quickstart"])
  })

  for (const name of examples) {
    it(`${name}/pipeline.yaml runs against the emulator`, async () => {
      const dir = fs.mkdtempSync(path.join(work, `${name}-`))
      const result = await runCli(["run", path.join(repoRoot, "examples", name, "pipeline.yaml"), "--emulator"], {
        cwd: dir,
        env: { OUTPUT_DIR: path.join(dir, "out") }
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stderr, /transcripts are SYNTHETIC/)
      const files = listFiles(path.join(dir, "out/aliyun-qwen-asr"))
      assert.isTrue(files.some((file) => file.startsWith("transcripts/") && file.endsWith(".txt")), files.join("\n"))
      assert.isTrue(files.some((file) => file.startsWith("responses/")), files.join("\n"))
      if (name === "long-files") {
        const srt = fs.readFileSync(path.join(dir, "out/aliyun-qwen-asr/transcripts/planning-session.srt"), "utf8")
        assert.match(srt, /^1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n/)
        assert.isAbove(srt.split("\n\n").filter((cue) => cue.trim() !== "").length, 5)
      }
      if (name === "manifest") {
        const json = JSON.parse(
          fs.readFileSync(path.join(dir, "out/aliyun-qwen-asr/transcripts/intro/welcome.json"), "utf8")
        )
        assert.deepStrictEqual(json.metadata, { speaker: "host" })
      }
    })
  }

  it("embed.ts runs under tsx and prints transcripts from both APIs", async () => {
    const dir = fs.mkdtempSync(path.join(work, "embed-"))
    const { code, stderr, stdout } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const child = spawn(path.join(repoRoot, "node_modules/.bin/tsx"), [path.join(repoRoot, "examples/embed.ts")], {
          cwd: dir,
          env: { PATH: process.env.PATH ?? "", HOME: dir, OUTPUT_DIR: path.join(dir, "out") }
        })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (chunk) => (stdout += chunk))
        child.stderr.on("data", (chunk) => (stderr += chunk))
        child.on("close", (code) => resolve({ code, stdout, stderr }))
      }
    )
    assert.strictEqual(code, 0, stderr)
    assert.match(stdout, /^promise API: SUCCEEDED: \S+/m)
    assert.match(stdout, /^promise API: pipeline: 4 done, 0 failed$/m)
    assert.match(stdout, /^effect API: qwen3-asr-flash \(en\): \S+/m)
  })
})
