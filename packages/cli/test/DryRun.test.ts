import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { runCli, tempDir } from "./utils/Cli.js"

const work = tempDir("asrflow-dry-run-")

/** What row `i` of the manifest is: the plan must print them in this order, one line each. */
const kindOf = (i: number): "sync" | "async" | "missing" | "bad" =>
  i % 50 === 49 ? "bad" : i % 10 === 7 ? "missing" : i % 10 === 3 ? "async" : "sync"

/** Half a second of tone: a short WAV the plan reads whole. */
const tone = (file: string) =>
  execFileSync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", file, "synth", "0.5", "sine", "440"])

/** The dry run of `dir`'s `inputs.csv`, planned for qwen's sync model with text outputs. */
const planManifest = (dir: string) => {
  fs.writeFileSync(
    path.join(dir, "pipeline.yaml"),
    [
      "version: 1",
      "sources:",
      "  - type: manifest",
      "    path: inputs.csv",
      "provider:",
      "  type: qwen",
      "  model: qwen3-asr-flash",
      "sinks:",
      "  - type: text",
      ""
    ].join("\n")
  )
  return runCli(["run", path.join(dir, "pipeline.yaml"), "--dry-run"], {
    cwd: dir,
    env: { HOME: dir, OUTPUT_DIR: path.join(dir, "out") }
  })
}

describe("asrflow run --dry-run on a manifest of many rows", () => {
  it("prints every row in the manifest's order, with its route or why it was rejected, then the totals", async () => {
    const dir = fs.mkdtempSync(path.join(work, "case-"))
    const rows = 700 // more than two of the plan's chunks
    const clip = path.join(dir, "clip.wav")
    tone(clip)
    fs.mkdirSync(path.join(dir, "clips"))
    const lines = ["audio,model"]
    for (let i = 0; i < rows; i++) {
      const kind = kindOf(i)
      const name = `clips/c-${String(i).padStart(4, "0")}.wav`
      if (kind === "sync" || kind === "async") fs.linkSync(clip, path.join(dir, name))
      lines.push(kind === "bad" ? "," : `${name},${kind === "async" ? "qwen3-asr-flash-filetrans" : ""}`)
    }
    fs.writeFileSync(path.join(dir, "inputs.csv"), lines.join("\n") + "\n")
    const { code, stderr, stdout } = await planManifest(dir)
    assert.strictEqual(code, 0, stderr)
    const printed = stdout.trimEnd().split("\n")
    assert.strictEqual(printed.length, rows + 1, "one line per row, then the totals")
    printed.slice(0, rows).forEach((line, i) => {
      const name = path.join(dir, `clips/c-${String(i).padStart(4, "0")}.wav`)
      switch (kindOf(i)) {
        case "sync":
          assert.match(
            line,
            /^sync\/compatible {2}\S+ {2}model=qwen3-asr-flash ~1 s ~0\.\d+ CNY -> transcripts\//,
            `row ${i}`
          )
          assert.include(line, `  ${name}  `, `row ${i}`)
          break
        case "async":
          assert.match(line, /^async {3}\S+ {2}model=qwen3-asr-flash-filetrans ~1 s/, `row ${i}`)
          assert.include(line, `  ${name}  `, `row ${i}`)
          break
        case "missing":
          assert.strictEqual(line, `reject  ${name}  ${name}: the file does not exist (was it moved or deleted?)`)
          break
        case "bad":
          assert.strictEqual(line, `reject  inputs.csv:${i + 2}  inputs.csv:${i + 2}: column \`audio\` is empty`)
      }
    })
    // the totals add up every planned row: each is billed as a second at least, at the cost its line shows
    const costs = printed.slice(0, rows).flatMap((line) => {
      const cost = / ~(\d+\.\d+) CNY/.exec(line)
      return cost === null ? [] : [Number(cost[1])]
    })
    assert.strictEqual(
      costs.length,
      Array.from({ length: rows }, (_, i) => kindOf(i)).filter((kind) => kind === "sync" || kind === "async").length
    )
    const total = costs.reduce((sum, cost) => sum + cost, 0)
    assert.strictEqual(
      printed[rows],
      `dry run: ${rows} item(s), ~${costs.length} s of audio, estimated cost ${total.toFixed(4)} CNY; outputs under ${
        path.join(dir, "out", "aliyun-qwen-asr")
      }`
    )
    assert.isFalse(fs.existsSync(path.join(dir, "out")), "a plan writes no file")
  }, 120_000)

  it("rejects rows naming a FIFO, a folder or an empty file, and does not wait for the FIFO's writer", async () => {
    const dir = fs.mkdtempSync(path.join(work, "case-"))
    tone(path.join(dir, "good.wav"))
    execFileSync("mkfifo", [path.join(dir, "pipe.wav")])
    fs.mkdirSync(path.join(dir, "folder.wav"))
    fs.writeFileSync(path.join(dir, "empty.wav"), "")
    fs.writeFileSync(path.join(dir, "inputs.csv"), "audio\npipe.wav\nfolder.wav\nempty.wav\ngood.wav\n")
    const { code, stderr, stdout } = await planManifest(dir)
    assert.strictEqual(code, 0, stderr)
    const printed = stdout.trimEnd().split("\n")
    const file = (name: string) => path.join(dir, name)
    assert.deepStrictEqual(printed.slice(0, 3), [
      `reject  ${file("pipe.wav")}  ${file("pipe.wav")}: not a regular file (FIFO); point the source at audio files`,
      `reject  ${file("folder.wav")}  ${
        file("folder.wav")
      }: not a regular file (Directory); point the source at audio files`,
      `reject  ${file("empty.wav")}  ${file("empty.wav")}: the file is empty (0 bytes); re-export or remove it`
    ])
    assert.match(printed[3]!, /^sync\/compatible {2}\S+ {2}model=qwen3-asr-flash ~1 s/)
    assert.match(printed[4]!, /^dry run: 4 item\(s\), ~1 s of audio/)
  }, 120_000)
})
