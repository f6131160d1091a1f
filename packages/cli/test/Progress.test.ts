import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { emulatorEnv, runCli, tempDir } from "./utils/Cli.js"
import { screen, startInTerminal, styles } from "./utils/Terminal.js"

// 20 one-second clips (and one empty file where a case asks for a failure), run through the binary
const work = tempDir("asrflow-progress-")
const audio = path.join(work, "audio")
let emulator: StartedEmulator

beforeAll(async () => {
  fs.mkdirSync(audio, { recursive: true })
  for (let i = 1; i <= 20; i++) {
    const name = path.join(audio, `t${String(i).padStart(2, "0")}.wav`)
    execFileSync("sox", ["-n", "-r", "16000", "-c", "1", name, "synth", "1", "sine", String(200 + 20 * i)])
  }
  emulator = await startEmulator({ rate_limits: { enabled: false } })
}, 120_000)

afterAll(async () => {
  await emulator?.close()
})

const env = (output: string, extra: Record<string, string> = {}) => ({
  ...emulatorEnv(emulator),
  OUTPUT_DIR: output,
  ...extra
})

/** A case folder with a pipeline over `include` (relative to it) and the text sink. */
const casePipeline = (include: ReadonlyArray<string>, provider: ReadonlyArray<string> = []) => {
  const dir = fs.mkdtempSync(path.join(work, "case-"))
  fs.writeFileSync(
    path.join(dir, "pipeline.yaml"),
    [
      "version: 1",
      "concurrency: 4",
      "sources:",
      "  - type: files",
      `    include: [${include.map((entry) => JSON.stringify(entry)).join(", ")}]`,
      "provider:",
      "  type: qwen",
      ...(provider.length > 0 ? provider : ["  rate_limit: { requests_per_minute: 6000 }"]),
      "sinks:",
      "  - type: text",
      ""
    ].join("\n")
  )
  return dir
}

// eslint-disable-next-line no-control-regex
const cursorMoves = /\u001b\[\d*A|\u001b\[2K/

describe("progress on a terminal", () => {
  it("draws one live region with the total, the pace and an ETA, then erases it for the summary", async () => {
    await emulator.reset()
    const dir = casePipeline([audio])
    const run = startInTerminal(["run", "pipeline.yaml"], { cwd: dir, env: env(path.join(dir, "out")) })
    const { code, output } = await run.exited
    assert.strictEqual(code, 0, output)
    // redrawn in place, not printed line after line
    assert.match(output, cursorMoves)
    assert.match(output, /20\/20/)
    assert.match(output, /\d+\.\d items\/min/)
    assert.match(output, /ETA \d+s/)
    assert.match(output, /min audio/)
    assert.match(output, styles, "colours without NO_COLOR")
    const shown = await screen(output)
    // the last frame is gone: what stays is the summary, and no line of the region
    assert.isFalse(shown.some((line) => line.includes("items/min")), shown.join("\n"))
    assert.isFalse(shown.some((line) => line.includes("] wrote ")), "no plain progress lines on a terminal")
    assert.match(shown.join("\n"), /^asrflow: 20 done, 0 failed, 0 skipped of 20 item\(s\)/m)
    assert.match(shown.at(-1)!, /^asrflow: estimated cost \d+\.\d+ CNY \(prices of \d{4}-\d\d-\d\d\)/)
  })

  it("honours NO_COLOR: the same live region without a single colour or style", async () => {
    await emulator.reset()
    const dir = casePipeline([audio])
    const run = startInTerminal(["run", "pipeline.yaml"], {
      cwd: dir,
      env: env(path.join(dir, "out"), { NO_COLOR: "1" })
    })
    const { code, output } = await run.exited
    assert.strictEqual(code, 0, output)
    assert.match(output, cursorMoves)
    assert.match(output, /20\/20 20 done, 0 failed, 0 skipped/)
    // each lane the run's rate controller paces, with its rate and its 429s
    assert.match(output, /lane qwen sync qwen3-asr-flash [^:\n]*: \d+ req\/min · 0 × 429/)
    assert.notMatch(output, styles)
    const shown = await screen(output)
    assert.isFalse(shown.some((line) => line.includes("items/min")))
  })

  it("keeps failures above the region", async () => {
    await emulator.reset()
    const dir = casePipeline([audio, "broken"])
    fs.mkdirSync(path.join(dir, "broken"))
    fs.writeFileSync(path.join(dir, "broken/empty.wav"), "")
    const run = startInTerminal(["run", "pipeline.yaml"], { cwd: dir, env: env(path.join(dir, "out")) })
    const { code, output } = await run.exited
    assert.strictEqual(code, 1, output)
    const shown = (await screen(output)).join("\n")
    assert.match(shown, /^asrflow: \[\d+\/21\] failed \S*broken\/empty\.wav: /m)
    assert.match(shown, /^asrflow: 20 done, 1 failed, 0 skipped of 21 item\(s\)/m)
    assert.notInclude(shown, "items/min")
  })

  it("shows the async tasks in flight by state", async () => {
    const manual = await startEmulator({
      clock: "manual",
      rate_limits: { enabled: false },
      tasks: { pending_ms: 60_000, running_ms: 1000 }
    })
    try {
      const dir = casePipeline([audio], [
        "  model: qwen3-asr-flash-filetrans",
        "  rate_limit: { requests_per_minute: 6000 }",
        "  poll: { initial_interval_ms: 50, max_interval_ms: 100 }"
      ])
      const run = startInTerminal(["run", "pipeline.yaml"], {
        cwd: dir,
        env: {
          DASHSCOPE_API_KEY: manual.apiKey,
          DASHSCOPE_HTTP_BASE_URL: manual.nativeBaseUrl,
          DASHSCOPE_COMPATIBLE_BASE_URL: manual.compatibleBaseUrl,
          OUTPUT_DIR: path.join(dir, "out")
        }
      })
      // the emulator's clock stands still: the tasks stay PENDING until the test moves it
      await run.waitFor(/tasks in flight\S* \d+ PENDING/, 90_000)
      // the tasks submitted from now on finish at once, and the clock moves past the waiting ones
      await manual.setConfig({ tasks: { pending_ms: 0, running_ms: 0 } })
      await manual.advance(120_000)
      const { code, output } = await run.exited
      assert.strictEqual(code, 0, output)
      const shown = await screen(output)
      assert.isFalse(shown.some((line) => line.includes("tasks in flight")))
      assert.match(shown.join("\n"), /^asrflow: 20 done, 0 failed, 0 skipped of 20 item\(s\)/m)
    } finally {
      await manual.close()
    }
  }, 180_000)
})

describe("progress without a terminal", () => {
  it("prints a line per item with the total and the output written, and one line for a resumed run's skips", async () => {
    await emulator.reset()
    const dir = casePipeline([audio])
    const first = await runCli(["run", "pipeline.yaml"], { cwd: dir, env: env(path.join(dir, "out")) })
    assert.strictEqual(first.code, 0, first.stderr)
    const wrote = first.stderr.split("\n").filter((line) => / wrote /.test(line))
    assert.strictEqual(wrote.length, 20, first.stderr)
    for (const line of wrote) {
      assert.match(line, /^asrflow: \[\d+\/20\] wrote out\/aliyun-qwen-asr\/transcripts\/t\d\d\.txt$/)
    }
    assert.include(wrote, "asrflow: [20/20] wrote " + wrote.at(-1)!.split(" wrote ")[1])
    assert.notInclude(first.stderr, "\u001b", "no escape sequence in a log")

    const again = await runCli(["run", "pipeline.yaml"], { cwd: dir, env: env(path.join(dir, "out")) })
    assert.strictEqual(again.code, 0, again.stderr)
    const lines = again.stderr.trimEnd().split("\n")
    assert.deepStrictEqual(
      lines.filter((line) => line.startsWith("asrflow: [")),
      ["asrflow: [20/20] skipped 20 item(s) the ledger has done"]
    )
    assert.match(again.stderr, /^asrflow: 0 done, 0 failed, 20 skipped of 20 item\(s\)/m)
    assert.strictEqual((await emulator.report()).requests["compatible"], 20, "nothing was sent twice")
  })

  it("--quiet prints only failures and the summary; --log-level governs every line", async () => {
    await emulator.reset()
    const dir = casePipeline([audio, "broken"])
    fs.mkdirSync(path.join(dir, "broken"))
    fs.writeFileSync(path.join(dir, "broken/empty.wav"), "")
    const quiet = await runCli(["run", "pipeline.yaml", "--quiet"], { cwd: dir, env: env(path.join(dir, "q")) })
    assert.strictEqual(quiet.code, 1, quiet.stderr)
    const lines = quiet.stderr.trimEnd().split("\n")
    assert.isFalse(lines.some((line) => line.includes(" wrote ")), quiet.stderr)
    assert.isTrue(
      lines.every((line) => /failed|empty\.wav|^asrflow: (\d+ done|outputs in|to resume|estimated)/.test(line))
    )
    assert.match(quiet.stderr, /^asrflow: \[\d+\/21\] failed \S*empty\.wav: /m)
    assert.match(quiet.stderr, /^asrflow: 20 done, 1 failed, 0 skipped of 21 item\(s\)/m)
    assert.match(quiet.stderr, /^asrflow: to resume: asrflow run pipeline\.yaml --quiet$/m)

    const none = await runCli(["run", "pipeline.yaml", "--log-level", "none"], {
      cwd: dir,
      env: env(path.join(dir, "n"))
    })
    assert.strictEqual(none.code, 1)
    assert.strictEqual(none.stderr, "", "--log-level none: not a line")

    const error = await runCli(["--log-level", "error", "run", "pipeline.yaml"], {
      cwd: dir,
      env: env(path.join(dir, "e"))
    })
    assert.strictEqual(error.code, 1)
    // --log-level error is what --quiet sets: failures and the summary
    assert.notInclude(error.stderr, " wrote ")
    assert.match(error.stderr, /^asrflow: \[\d+\/21\] failed \S*empty\.wav: /m)
    assert.match(error.stderr, /^asrflow: 20 done, 1 failed, 0 skipped of 21 item\(s\)/m)
  })
})
