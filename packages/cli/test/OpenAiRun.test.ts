import { startEmulator } from "@asrflow/emulator"
import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { runCli, tempDir } from "./utils/Cli.js"
import { filesContaining, listFiles } from "./utils/Static.js"

const work = tempDir("asrflow-openai-")

describe("asrflow run with the openai provider", () => {
  it("writes SRT from word timestamps for a folder, and refuses an oversize file before any request", async () => {
    const dir = fs.mkdtempSync(path.join(work, "run-"))
    const audio = path.join(dir, "audio")
    fs.mkdirSync(path.join(audio, "nested"), { recursive: true })
    execFileSync("espeak-ng", ["-w", path.join(audio, "hello.wav"), "Hello there. This is a short recording."])
    execFileSync("espeak-ng", ["-w", path.join(audio, "nested/note.wav"), "Remember to order the microphones."])
    // a minute of tone: about 2 MB, over the 1 MB limit this pipeline sets
    execFileSync("sox", [
      "-n",
      "-r",
      "16000",
      "-c",
      "1",
      "-b",
      "16",
      path.join(audio, "long.wav"),
      "synth",
      "60",
      "sine",
      "300"
    ])
    fs.writeFileSync(
      path.join(dir, "pipeline.yaml"),
      [
        "version: 1",
        "sources:",
        "  - type: files",
        "    include: [audio]",
        "provider:",
        "  type: openai",
        "  model: whisper-large-v3",
        "  timestamp_granularities: [segment, word]",
        "  max_file_mb: 1",
        "sinks:",
        "  - type: srt",
        "  - type: json",
        ""
      ].join("\n")
    )
    const emulator = await startEmulator({})
    try {
      const result = await runCli(["run", "pipeline.yaml"], {
        cwd: dir,
        env: {
          HOME: dir,
          OPENAI_API_KEY: emulator.apiKey,
          OPENAI_BASE_URL: `${emulator.origin}/v1`,
          OUTPUT_DIR: path.join(dir, "out")
        }
      })
      assert.strictEqual(result.code, 1, result.stderr)
      assert.match(result.stderr, /2 done, 1 failed/)
      assert.match(result.stderr, /long\.wav is 1\.8 MB .*takes at most 1 MB per request \(max_file_mb\)/)
      const report = await emulator.report()
      assert.strictEqual(report.requests["transcriptions"], 2, "the oversize file was never sent")
      assert.deepStrictEqual(report.violations, [])
      const root = path.join(dir, "out/openai-transcriptions")
      for (const name of ["hello", "nested/note"]) {
        const srt = fs.readFileSync(path.join(root, `transcripts/${name}.srt`), "utf8")
        assert.match(srt, /^1\n00:00:00,\d{3} --> 00:00:0\d,\d{3}\n\S/)
        const json = JSON.parse(fs.readFileSync(path.join(root, `transcripts/${name}.json`), "utf8"))
        assert.isAbove(json.words.length, 0)
        assert.strictEqual(json.model, "whisper-large-v3")
      }
      assert.notInclude(listFiles(root), "transcripts/long.srt")
      assert.deepStrictEqual(filesContaining(root, emulator.apiKey), [], "the key is in no output")
    } finally {
      await emulator.close()
    }
  })
})
