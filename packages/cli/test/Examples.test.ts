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
    assert.deepStrictEqual(examples, ["long-files", "manifest", "meeting-speakers", "openai-compatible", "quickstart"])
  })

  /** The output folder each example's provider writes to. */
  const folders: Record<string, string> = {
    "meeting-speakers": "aliyun-funasr",
    "openai-compatible": "openai-transcriptions"
  }

  for (const name of examples) {
    it(`${name}/pipeline.yaml runs against the emulator`, async () => {
      const dir = fs.mkdtempSync(path.join(work, `${name}-`))
      const result = await runCli(["run", path.join(repoRoot, "examples", name, "pipeline.yaml"), "--emulator"], {
        cwd: dir,
        env: { OUTPUT_DIR: path.join(dir, "out") }
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stderr, /transcripts are SYNTHETIC/)
      const root = path.join(dir, "out", folders[name] ?? "aliyun-qwen-asr")
      const files = listFiles(root)
      assert.isTrue(files.some((file) => file.startsWith("transcripts/") && file.endsWith(".txt")), files.join("\n"))
      assert.isTrue(files.some((file) => file.startsWith("responses/")), files.join("\n"))
      if (name === "long-files") {
        const srt = fs.readFileSync(path.join(root, "transcripts/planning-session.srt"), "utf8")
        assert.match(srt, /^1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n/)
        assert.isAbove(srt.split("\n\n").filter((cue) => cue.trim() !== "").length, 5)
      }
      if (name === "meeting-speakers") {
        const read = (ext: string) => fs.readFileSync(path.join(root, `transcripts/team-meeting.${ext}`), "utf8")
        const speakers = new Set(JSON.parse(read("json")).sentences.map((s: { speaker_id: number }) => s.speaker_id))
        assert.deepStrictEqual([...speakers].sort(), [0, 1])
        assert.match(read("vtt"), /^<v Speaker 1>/m)
        assert.match(read("vtt"), /^<v Speaker 2>/m)
        assert.match(read("txt"), /^\[S1\] .+\n\[S2\] /m)
        assert.match(read("srt"), /^\[S2\] /m)
      }
      if (name === "openai-compatible") {
        const srt = fs.readFileSync(path.join(root, "transcripts/memos/studio.srt"), "utf8")
        assert.match(srt, /^1\n00:00:0\d,\d{3} --> 00:00:\d\d,\d{3}\n/)
        const json = JSON.parse(fs.readFileSync(path.join(root, "transcripts/interview.json"), "utf8"))
        assert.isAbove(json.words.length, 0)
        assert.strictEqual(json.provider, "openai")
      }
      if (name === "manifest") {
        const json = JSON.parse(fs.readFileSync(path.join(root, "transcripts/intro/welcome.json"), "utf8"))
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
