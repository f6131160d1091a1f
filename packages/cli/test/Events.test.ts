import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Ajv } from "ajv"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { emulatorEnv, runCli, tempDir } from "./utils/Cli.js"

// `--json`, the one-shot `transcribe <inputs…>` and `run -`, all through the built binary
const work = tempDir("asrflow-events-")
const audio = path.join(work, "audio")
let emulator: StartedEmulator

const tone = (file: string, hz: number) =>
  execFileSync("sox", ["-n", "-r", "16000", "-c", "1", file, "synth", "1", "sine", String(hz)])

beforeAll(async () => {
  fs.mkdirSync(audio, { recursive: true })
  for (let i = 1; i <= 20; i++) tone(path.join(audio, `t${String(i).padStart(2, "0")}.wav`), 200 + 20 * i)
  emulator = await startEmulator({ rate_limits: { enabled: false } })
}, 120_000)

afterAll(async () => {
  await emulator?.close()
})

const env = (output: string) => ({
  ...emulatorEnv(emulator),
  OUTPUT_DIR: output
})

const pipelineText = (include: string) =>
  [
    "version: 1",
    "concurrency: 4",
    "sources:",
    "  - type: files",
    `    include: [${JSON.stringify(include)}]`,
    "provider:",
    "  type: qwen",
    "  rate_limit: { requests_per_minute: 6000 }",
    "sinks:",
    "  - type: text",
    ""
  ].join("\n")

const filesUnder = (dir: string): ReadonlyArray<string> =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).sort() : []

describe("asrflow run --json", () => {
  it("prints a 20-item run as NDJSON that the published event schema accepts, ending with its summary", async () => {
    const schema = await runCli(["schema", "--events"])
    assert.strictEqual(schema.code, 0, schema.stderr)
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(schema.stdout))

    const dir = fs.mkdtempSync(path.join(work, "json-"))
    fs.writeFileSync(path.join(dir, "pipeline.yaml"), pipelineText(`${audio}/*.wav`))
    const output = path.join(dir, "out")
    const result = await runCli(["run", "pipeline.yaml", "--json"], { cwd: dir, env: env(output) })
    assert.strictEqual(result.code, 0, result.stderr)

    const lines = result.stdout.trimEnd().split("\n")
    const events = lines.map((line, index) => {
      const event = JSON.parse(line)
      assert.isTrue(validate(event), `line ${index + 1}: ${JSON.stringify(validate.errors)}\n${line}`)
      assert.strictEqual(event.v, 1)
      return event
    })
    const summary = events.at(-1)
    assert.strictEqual(summary.phase, "summary")
    assert.strictEqual(events.filter((event) => event.phase === "summary").length, 1)
    assert.strictEqual(summary.exit_code, 0)

    // the counts match the files written, and each written event names files that exist
    const texts = filesUnder(output).filter((file) => file.endsWith(".txt"))
    const written = events.filter((event) => event.phase === "written")
    assert.strictEqual(summary.summary.total, 20)
    assert.strictEqual(summary.summary.done, 20)
    assert.strictEqual(summary.summary.failed, 0)
    assert.strictEqual(texts.length, summary.summary.done)
    assert.strictEqual(written.length, summary.summary.done)
    for (const event of written) {
      assert.isNotEmpty(event.data.outputs)
      for (const file of event.data.outputs) assert.isTrue(fs.existsSync(path.resolve(dir, file)), file)
    }
    // one event per phase per item, in order
    const phases = events.filter((event) => event.item?.endsWith("t07.wav")).map((event) => event.phase)
    assert.deepStrictEqual(phases, ["planned", "probed", "transcribed", "written"])
    // human output stays on stderr
    assert.match(result.stderr, /20 done, 0 failed, 0 skipped of 20 item/)
  }, 120_000)
})

describe("asrflow transcribe <inputs…> and run -", () => {
  it("transcribes a WAV, an MP3 and a folder to SRT in one batch", async () => {
    const dir = fs.mkdtempSync(path.join(work, "oneshot-"))
    tone(path.join(dir, "a.wav"), 330)
    const source = path.join(work, "for-mp3.wav")
    tone(source, 440)
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", source, "-ar", "16000", path.join(dir, "b.mp3")])
    fs.mkdirSync(path.join(dir, "calls"))
    tone(path.join(dir, "calls", "c1.wav"), 550)
    tone(path.join(dir, "calls", "c2.wav"), 660)
    const output = path.join(dir, "out")

    const result = await runCli(
      ["transcribe", "a.wav", "b.mp3", "calls/", "--format", "srt", "--output-dir", output],
      { cwd: dir, env: env(path.join(dir, "unused")) }
    )
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(result.stderr, /4 done, 0 failed, 0 skipped of 4 item/)
    const srts = filesUnder(output).filter((file) => file.endsWith(".srt"))
    assert.strictEqual(srts.length, 4, filesUnder(output).join("\n"))
    for (const name of ["a", "b", "c1", "c2"]) {
      const file = srts.find((srt) => path.basename(srt) === `${name}.srt`)
      assert.isDefined(file, `${name}.srt in ${srts.join(", ")}`)
      // a cue: number, times, text
      assert.match(
        fs.readFileSync(path.join(output, file!), "utf8"),
        /^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n\S/
      )
    }
    assert.isFalse(fs.existsSync(path.join(dir, "unused")), "--output-dir applies to every input")
    const report = await emulator.report()
    assert.deepStrictEqual(report.violations, [])
  }, 120_000)

  it("runs a pipeline read from stdin (`asrflow run - < pipeline.yaml`)", async () => {
    const dir = fs.mkdtempSync(path.join(work, "stdin-"))
    const output = path.join(dir, "out")
    const result = await runCli(["run", "-"], {
      cwd: dir,
      env: env(output),
      stdin: pipelineText(`${audio}/t0[1-3].wav`)
    })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(result.stderr, /3 done, 0 failed, 0 skipped of 3 item/)
    assert.deepStrictEqual(
      filesUnder(output).filter((file) => file.endsWith(".txt")).map((file) => path.basename(file)),
      ["t01.txt", "t02.txt", "t03.txt"]
    )
  }, 120_000)
})
