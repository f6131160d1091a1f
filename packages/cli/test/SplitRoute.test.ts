import * as AudioPauses from "@asrflow/core/AudioPauses"
import * as Ffmpeg from "@asrflow/core/Ffmpeg"
import * as SplitPolicy from "@asrflow/core/SplitPolicy"
import * as SplitRoute from "@asrflow/core/SplitRoute"
import { startEmulator } from "@asrflow/emulator"
import { NodeContext } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseSync } from "subtitle"
import { makeCorpus } from "../../../bench/lib/speech-corpus.mjs"
import { binary, emulatorEnv, repoRoot, runCli, tempDir } from "./utils/Cli.js"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const work = tempDir("asrflow-split-cli-")

/** Reads subtitles back with a real parser: numbered from 1, positive and ordered cues, at most 2 × 42. */
const checkSubtitles = (text: string) => {
  const cues = parseSync(text).flatMap((node) => node.type === "cue" ? [node.data] : [])
  assert.isAbove(cues.length, 3)
  let previousEnd = 0
  for (const cue of cues) {
    assert.isTrue(cue.start < cue.end, `cue ${cue.start} --> ${cue.end} has a positive duration`)
    assert.isTrue(cue.start >= previousEnd, `cue at ${cue.start} does not overlap the one ending at ${previousEnd}`)
    previousEnd = cue.end
    const lines = cue.text.split("\n")
    assert.isAtMost(lines.length, 2)
    for (const line of lines) assert.isAtMost(line.length, 42, line)
  }
  return cues
}

const SplitJson = Schema.Struct({
  route: Schema.Literal("split"),
  text: Schema.String,
  chunks: Schema.Array(Schema.Struct({
    index: Schema.Number,
    start_ms: Schema.Number,
    end_ms: Schema.Number,
    request_id: Schema.String,
    resumed: Schema.Boolean
  }))
})

const readJson = (file: string) => Schema.decodeUnknownSync(SplitJson)(JSON.parse(fs.readFileSync(file, "utf8")))

describe("the split route from the CLI", () => {
  it("runs examples/long-files with long_audio: split and no ffmpeg on PATH (the npm package's binary)", async () => {
    const dir = fs.mkdtempSync(path.join(work, "example-"))
    fs.cpSync(path.join(repoRoot, "examples/long-files"), dir, { recursive: true })
    const pipeline = path.join(dir, "pipeline.yaml")
    const original = fs.readFileSync(pipeline, "utf8")
    assert.include(original, "  model: qwen3-asr-flash-filetrans\n")
    fs.writeFileSync(
      pipeline,
      original.replace(
        "  model: qwen3-asr-flash-filetrans\n",
        "  model: qwen3-asr-flash-filetrans\n  long_audio: split\n  split: { max_chunk_seconds: 30, min_chunk_seconds: 10 }\n"
      )
    )
    // a PATH with node's folder left out: neither ffmpeg nor ffprobe can be found on it
    const emptyPath = fs.mkdtempSync(path.join(work, "path-"))
    const result = await runCli(["run", pipeline, "--emulator"], {
      cwd: dir,
      env: { PATH: emptyPath, OUTPUT_DIR: path.join(dir, "out") }
    })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.notMatch(result.stderr, /ffmpeg/)
    const root = path.join(dir, "out/aliyun-qwen-asr/transcripts")
    const json = readJson(path.join(root, "planning-session.json"))
    assert.isAtLeast(json.chunks.length, 4)
    assert.isAbove(json.text.length, 0)
    const srt = checkSubtitles(fs.readFileSync(path.join(root, "planning-session.srt"), "utf8"))
    const vtt = checkSubtitles(fs.readFileSync(path.join(root, "planning-session.vtt"), "utf8"))
    assert.strictEqual(srt.length, vtt.length)
    assert.isAbove(srt.at(-1)!.end, json.chunks.at(-2)!.end_ms, "the cues run into the last chunk")
  })

  it("after kill -9 mid-file, a re-run sends only the chunks that were not answered", async () => {
    const dir = fs.mkdtempSync(path.join(work, "crash-"))
    fs.mkdirSync(path.join(dir, "audio"))
    const recording = path.join(dir, "audio/talk.wav")
    makeCorpus({ file: recording, seconds: 70, seed: 5, vocabularySize: 12 })
    const split = { max_chunk_seconds: 15, min_chunk_seconds: 5 }
    fs.writeFileSync(
      path.join(dir, "pipeline.yaml"),
      [
        "version: 1",
        "sources:",
        "  - type: files",
        "    include: [audio]",
        "provider:",
        "  type: qwen",
        "  model: auto",
        "  long_audio: split",
        `  split: { max_chunk_seconds: ${split.max_chunk_seconds}, min_chunk_seconds: ${split.min_chunk_seconds} }`,
        "  rate_limit: { requests_per_minute: 6000 }",
        "sinks:",
        "  - type: json",
        "  - type: srt",
        "  - type: vtt",
        ""
      ].join("\n")
    )
    // the plan the run will make, so that the test knows how many chunks the emulator answers first
    const plan = await Effect.runPromise(
      Effect.flatMap(
        Ffmpeg.locate,
        (ffmpeg) => AudioPauses.analyze(ffmpeg, recording, { silenceDb: -36, minPauseMs: 300 })
      ).pipe(
        Effect.map((analysis) =>
          SplitRoute.planFor(analysis, Schema.decodeSync(SplitPolicy.SplitPolicy)(split), 300_000)
        ),
        Effect.provide(NodeContext.layer)
      )
    )
    const seconds = plan.map((chunk) => (chunk.endMs - chunk.startMs) / 1000).sort((a, b) => a - b)
    const releaseAfter = seconds[Math.floor(seconds.length / 2)]!
    const released = seconds.filter((s) => s <= releaseAfter).length
    assert.isAbove(plan.length - released, 0)

    // each chunk's answer waits 1 s per second of its audio, on a clock that moves only when told
    const emulator = await startEmulator({
      clock: "manual",
      latency_ms: { sync_per_audio_second: 1000 },
      rate_limits: { requests_per_minute: { default: 6000 } }
    })
    try {
      const output = path.join(dir, "out")
      const env = {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        TMPDIR: os.tmpdir(),
        ...emulatorEnv(emulator),
        OUTPUT_DIR: output
      }
      const ledger = path.join(output, "aliyun-qwen-asr/ledger.sqlite")
      const recordedChunks = () =>
        fs.existsSync(ledger)
          ? Effect.runPromise(
            Effect.flatMap(SqlClient.SqlClient, (sql) =>
              sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM asrflow_stages WHERE name LIKE 'chunk:%'`).pipe(
                Effect.map((rows) =>
                  Number(rows[0]!.n)
                ),
                Effect.provide(SqliteClient.layer({ filename: ledger })),
                Effect.orElseSucceed(() => 0)
              )
          )
          : Promise.resolve(0)
      // the killed run cannot remove its temporary chunk folder: it gets a TMPDIR of this test's own
      const killedTmp = path.join(dir, "tmp")
      fs.mkdirSync(killedTmp)
      const child = spawn(process.execPath, [binary, "run", "pipeline.yaml"], {
        cwd: dir,
        env: { ...env, TMPDIR: killedTmp },
        stdio: "ignore"
      })
      const exited = new Promise((resolve) => child.on("exit", resolve))
      // every chunk is waiting for its answer; half of them get it; once the ledger has those, the kill
      for (let waited = 0; waited < 60_000 && (await emulator.report()).clock_waiters < plan.length; waited += 25) {
        await sleep(25)
      }
      assert.strictEqual((await emulator.report()).clock_waiters, plan.length)
      await emulator.advance(releaseAfter * 1000)
      for (let waited = 0; waited < 60_000 && (await recordedChunks()) < released; waited += 25) await sleep(25)
      child.kill("SIGKILL")
      await exited
      assert.strictEqual(await recordedChunks(), released)
      assert.strictEqual((await emulator.report()).counts["compatible 200"], released)

      await emulator.reset()
      await emulator.setConfig({ latency_ms: { sync_per_audio_second: 0 } })
      const rerun = await runCli(["run", "pipeline.yaml"], { cwd: dir, env, timeoutMs: 120_000 })
      assert.strictEqual(rerun.code, 0, rerun.stderr)
      const report = await emulator.report()
      assert.strictEqual(report.requests.compatible, plan.length - released, "only the missing chunks are sent")
      assert.deepStrictEqual(Object.values(report.submissions_per_audio), Array(plan.length - released).fill(1))
      assert.deepStrictEqual(report.violations, [])

      const root = path.join(output, "aliyun-qwen-asr/transcripts")
      const json = readJson(path.join(root, "talk.json"))
      assert.deepStrictEqual(
        json.chunks.map((chunk) => [chunk.start_ms, chunk.end_ms]),
        plan.map((chunk) => [chunk.startMs, chunk.endMs])
      )
      assert.strictEqual(json.chunks.filter((chunk) => chunk.resumed).length, released)
      checkSubtitles(fs.readFileSync(path.join(root, "talk.srt"), "utf8"))
      checkSubtitles(fs.readFileSync(path.join(root, "talk.vtt"), "utf8"))
    } finally {
      await emulator.close()
    }
  }, 180_000)
})
