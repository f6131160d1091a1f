import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import type { Report } from "@asrflow/emulator/Report"
import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { binary, emulatorEnv, runCli, tempDir } from "./utils/Cli.js"
import type { Clips } from "./utils/Hostile.js"
import { assertNoStackTrace, makeClips, tempFilesUnder, writePipeline } from "./utils/Hostile.js"

// The wrong behaviours of issue 17, one test each, through the built binary against the emulator:
// the exit code, the one line shown, and that no other item is affected. (Piped stderr cut off at
// 64 KB is Stdio.test.ts.)

const work = tempDir("asrflow-hostile-")
let clips: Clips

beforeAll(() => {
  clips = makeClips(work)
}, 120_000)

const lines = (text: string) => text.split("\n").filter((line) => line.trim() !== "")

const freshDir = (name: string) => fs.mkdtempSync(path.join(work, `${name}-`))

/** `count` distinct recordings in `<dir>/audio`: the clips, with silence of different lengths after. */
const recordings = (dir: string, names: ReadonlyArray<string>) => {
  fs.mkdirSync(path.join(dir, "audio"), { recursive: true })
  names.forEach((name, index) => {
    const bytes = fs.readFileSync(index % 2 === 0 ? clips.wav : clips.otherWav)
    // distinct content: a different byte in the last sample makes a different audio hash
    const copy = Buffer.from(bytes)
    copy[copy.length - 1] = index
    fs.writeFileSync(path.join(dir, "audio", `${name}.wav`), copy)
  })
}

const asyncProvider = ["  model: qwen3-asr-flash-filetrans"]

const withEmulator = async (config: Record<string, unknown>, body: (emulator: StartedEmulator) => Promise<void>) => {
  const emulator = await startEmulator({
    rate_limits: { enabled: false },
    tasks: { pending_ms: 20, running_ms: 50 },
    ...config
  })
  try {
    await body(emulator)
    assert.deepStrictEqual((await emulator.report()).violations, [])
  } finally {
    await emulator.close()
  }
}

const submissions = (report: Report) => Object.values(report.submissions_per_audio)

describe("hostile conditions, one wrong behaviour each", () => {
  let closedPort = 0
  beforeAll(async () => {
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    closedPort = (server.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it("1. an unreachable API stops run and transcribe at once: one line, exit 3, no retries per item", async () => {
    const dir = freshDir("unreachable")
    recordings(dir, ["a", "b", "c"])
    const file = writePipeline(dir, ["  - type: files", "    include: [audio]"])
    const env = {
      DASHSCOPE_API_KEY: "sk-any",
      DASHSCOPE_HTTP_BASE_URL: `http://127.0.0.1:${closedPort}/api/v1`,
      DASHSCOPE_COMPATIBLE_BASE_URL: `http://127.0.0.1:${closedPort}/compatible-mode/v1`,
      OUTPUT_DIR: path.join(dir, "out")
    }
    const run = await runCli(["run", file], { cwd: dir, env })
    assert.strictEqual(run.code, 3, run.stderr)
    assert.deepStrictEqual(lines(run.stderr), [
      `asrflow: unreachable: no connection to http://127.0.0.1:${closedPort}/api/v1 (connection refused (ECONNREFUSED)); check the network, a proxy, the base URL or --region`
    ])
    const one = await runCli(["transcribe", "--audio", path.join(dir, "audio/a.wav")], { cwd: dir, env })
    assert.strictEqual(one.code, 3, one.stderr)
    assert.strictEqual(lines(one.stderr).length, 1)
    assert.match(one.stderr, /^asrflow: unreachable: .*ECONNREFUSED/)
  })

  it("1b. a service that goes away during a batch stops it after 5 items in a row, before the rest is sent", async () => {
    const dir = freshDir("goes-away")
    recordings(dir, ["a", "b", "c", "d", "e", "f", "g", "h"])
    const file = writePipeline(dir, ["  - type: files", "    include: [audio]"])
    // one attempt per item and no second round, so that every request is counted
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("attempts: 3", "attempts: 0, rounds: 0"))
    await withEmulator({ faults: [{ endpoint: "sync", kind: "reset" }] }, async (emulator) => {
      const result = await runCli(["run", file, "--concurrency", "1"], {
        cwd: dir,
        env: emulatorEnv(emulator, path.join(dir, "out"))
      })
      assert.strictEqual(result.code, 3, result.stderr)
      assert.match(
        result.stderr,
        /^asrflow: Unreachable from qwen for \S+e\.wav: 5 items in a row could not reach the service .*The run was stopped\.$/m
      )
      assertNoStackTrace(result.stderr, "goes away")
      // items f, g and h were never sent
      assert.strictEqual((await emulator.report()).requests["compatible"], 5)
    })
  })

  it("2. an output directory under a file, or one that cannot be created: one line, exit 2, nothing sent", async () => {
    const dir = freshDir("unwritable")
    recordings(dir, ["a"])
    const file = writePipeline(dir, ["  - type: files", "    include: [audio]"])
    fs.writeFileSync(path.join(dir, "a-file"), "x")
    await withEmulator({}, async (emulator) => {
      const env = emulatorEnv(emulator, path.join(dir, "a-file", "out"))
      const underFile = await runCli(["run", file], { cwd: dir, env })
      assert.strictEqual(underFile.code, 2, underFile.stderr)
      assert.deepStrictEqual(lines(underFile.stderr), [
        `asrflow: the output directory ${
          path.join(dir, "a-file/out/aliyun-qwen-asr")
        } cannot be used: ${dir}/a-file is a file, not a directory; choose another directory (--output-dir or OUTPUT_DIR) or move the file`
      ])
      if (fs.existsSync("/sys/kernel")) {
        const denied = await runCli(["run", file, "--output-dir", "/sys/kernel/asrflow-out"], { cwd: dir, env })
        assert.strictEqual(denied.code, 2, denied.stderr)
        assert.strictEqual(lines(denied.stderr).length, 1)
        assert.match(
          denied.stderr,
          /^asrflow: the output directory \/sys\/kernel\/asrflow-out cannot be used: cannot create/
        )
        assertNoStackTrace(denied.stderr, "sys")
      }
      assert.deepStrictEqual((await emulator.report()).requests, {})
    })
  })

  it.skipIf(!fs.existsSync("/proc/self"))(
    "3. an output directory under /proc never hangs run, validate or transcribe --output",
    async () => {
      const dir = freshDir("proc")
      recordings(dir, ["a"])
      const file = writePipeline(dir, ["  - type: files", "    include: [audio]"])
      await withEmulator({}, async (emulator) => {
        const env = emulatorEnv(emulator, path.join(dir, "out"))
        const commands = [
          ["run", file, "--output-dir", "/proc/asrflow-none/out"],
          ["validate", file, "--output-dir", "/proc/asrflow-none/out"],
          ["transcribe", "--audio", path.join(dir, "audio/a.wav"), "--output", "/proc/asrflow-none/a.txt"]
        ]
        for (const args of commands) {
          // a hang is killed at the bound and shows as a null exit code
          const result = await runCli(args, { cwd: dir, env, timeoutMs: 60_000 })
          assert.strictEqual(result.code, 2, `${args[0]}: ${result.stderr}`)
          assert.strictEqual(lines(result.stderr).length, 1, result.stderr)
          assert.match(
            result.stderr,
            /cannot be used: cannot create \/proc\/asrflow-none \(the file system does not allow it\)/
          )
        }
      })
    },
    200_000
  )

  it("4. --concurrency 0, -1 and 99999 are refused like the pipeline file's concurrency", async () => {
    const dir = freshDir("concurrency")
    recordings(dir, ["a"])
    const file = writePipeline(dir, ["  - type: files", "    include: [audio]"])
    for (const value of ["0", "-1", "99999"]) {
      const result = await runCli(["run", file, "--concurrency", value], { cwd: dir, env: { DASHSCOPE_API_KEY: "k" } })
      assert.strictEqual(result.code, 2, result.stderr)
      assert.deepStrictEqual(lines(result.stderr), [
        `asrflow: --concurrency: expected an integer between 1 and 256, got ${value}`
      ])
    }
  })

  it("5. validate exits 1 for a missing manifest, no audio column, missing files and rejected rows", async () => {
    const dir = freshDir("validate")
    recordings(dir, ["a"])
    fs.writeFileSync(path.join(dir, "rows.csv"), "audio,language_hints\naudio/a.wav,zh\naudio/gone.wav,en\n")
    fs.writeFileSync(path.join(dir, "nocolumn.csv"), "file\naudio/a.wav\n")
    fs.writeFileSync(path.join(dir, "rows.jsonl"), `{"audio":"audio/a.wav","language_hints":"zh"}\n`)
    const file = writePipeline(dir, [
      "  - type: manifest",
      "    path: rows.csv",
      "  - type: manifest",
      "    path: missing.csv",
      "  - type: manifest",
      "    path: nocolumn.csv",
      "  - type: manifest",
      "    path: rows.jsonl"
    ])
    const result = await runCli(["validate", file], { cwd: dir, env: { OUTPUT_DIR: path.join(dir, "out") } })
    assert.strictEqual(result.code, 1, result.stdout)
    assert.match(result.stdout, /^asrflow validate: 4 problem\(s\)$/m)
    assert.match(result.stdout, /^source 0 \(manifest\): 1 item\(s\), 1 rejected$/m)
    assert.match(result.stdout, new RegExp(`^  rejected: rows\\.csv:3: ${dir}/audio/gone\\.wav does not exist$`, "m"))
    assert.match(result.stdout, /^ {2}rejected: missing\.csv: the manifest .*missing\.csv does not exist$/m)
    assert.match(result.stdout, /^ {2}rejected: nocolumn\.csv:1: the header has no `audio` column \(columns: file\)$/m)
    assert.match(result.stdout, /^ {2}rejected: rows\.jsonl:1: field `language_hints`: expected a list of strings/m)
    assert.deepStrictEqual(lines(result.stderr), [
      "asrflow: 4 row(s) or file(s) rejected (fix them, or pass --allow-rejected to accept)"
    ])
    const allowed = await runCli(["validate", file, "--allow-rejected"], {
      cwd: dir,
      env: { OUTPUT_DIR: path.join(dir, "out") }
    })
    assert.strictEqual(allowed.code, 0, allowed.stderr)
    assert.match(allowed.stdout, /^asrflow validate: OK$/m)
    assert.match(allowed.stdout, /^ {2}warning: rejected: rows\.csv:3: /m)
  })

  it("7. temporary files a killed run left are removed by the next run; a live run's are kept", async () => {
    const dir = freshDir("killed")
    recordings(dir, ["a", "b"])
    const file = writePipeline(dir, ["  - type: files", "    include: [audio]"], { provider: asyncProvider })
    await withEmulator({ clock: "manual" }, async (emulator) => {
      const env = {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        TMPDIR: os.tmpdir(),
        ...emulatorEnv(emulator, path.join(dir, "out"))
      }
      // the run waits on tasks that cannot end while the emulator's clock stands still
      const child = spawn(process.execPath, [binary, "run", file], { cwd: dir, env, stdio: "ignore" })
      const exited = new Promise((resolve) => child.on("exit", resolve))
      // wait (bounded) until both tasks are submitted and their audio is read: the run is then polling
      const ready = (report: Report) => report.tasks.submitted === 2 && report.tasks.loading === 0
      for (let polls = 0; polls < 3000 && !ready(await emulator.report()); polls++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      child.kill("SIGKILL")
      await exited
      const root = path.join(dir, "out/aliyun-qwen-asr")
      const killed = await Effect.runPromise(
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const open = yield* sql<{ readonly run_id: string }>`SELECT run_id FROM asrflow_runs WHERE ended_at IS NULL`
          // another run, alive (this test's own process), on this host
          yield* sql`INSERT INTO asrflow_runs ${
            sql.insert({
              run_id: "live-run",
              host: os.hostname(),
              pid: process.pid,
              started_at: Date.now(),
              ended_at: null
            })
          }`
          return open[0]
        }).pipe(Effect.provide(SqliteClient.layer({ filename: path.join(root, "ledger.sqlite") })))
      )
      assert.isDefined(killed)
      fs.mkdirSync(path.join(root, "transcripts"), { recursive: true })
      const leftByKilled = `transcripts/.a.txt.${killed!.run_id}.0a0a0a0a0a0a.tmp`
      const ownedByLive = "transcripts/.b.txt.live-run.0b0b0b0b0b0b.tmp"
      const unowned = ".transcripts.jsonl.0c0c0c0c0c0c.tmp"
      for (const rel of [leftByKilled, ownedByLive, unowned]) fs.writeFileSync(path.join(root, rel), "half")

      await emulator.advance(60_000)
      const rerun = await runCli(["run", file], { cwd: dir, env })
      assert.strictEqual(rerun.code, 0, rerun.stderr)
      assert.match(
        rerun.stderr,
        /^asrflow: info: removed 2 half-written temporary file\(s\) that an interrupted run left/m
      )
      assert.deepStrictEqual(tempFilesUnder(root), [ownedByLive])
      // the killed run's tasks were picked up, not submitted again
      assert.deepStrictEqual(submissions(await emulator.report()), [1, 1])
      assert.isTrue(fs.existsSync(path.join(root, "transcripts/a.txt")))
      assert.isTrue(fs.existsSync(path.join(root, "transcripts/b.txt")))
    })
  }, 120_000)

  it("8. a cut-off upload reply is not an upload; a lost upload is made again; --force re-runs only what it must", async () => {
    const dir = freshDir("uploads")
    recordings(dir, ["a", "b", "c"])
    const file = writePipeline(dir, ["  - type: files", "    include: [audio]"], { provider: asyncProvider })
    const root = path.join(dir, "out/aliyun-qwen-asr")
    await withEmulator(
      { faults: [{ endpoint: "upload", kind: "truncate", at: [1], truncate_at: 0 }] },
      async (emulator) => {
        const env = emulatorEnv(emulator, path.join(dir, "out"))
        const first = await runCli(["run", file], { cwd: dir, env })
        assert.strictEqual(first.code, 0, first.stderr)
        assert.match(first.stderr, /^asrflow: 3 done, 0 failed, 0 skipped of 3 item\(s\)/m)
        let report = await emulator.report()
        assert.strictEqual(report.counts["upload truncated"], 1)
        assert.deepStrictEqual(submissions(report), [1, 1, 1])

        // b's output is lost; the service has lost b's upload too: --force re-runs b alone, uploading afresh
        fs.rmSync(path.join(root, "transcripts/b.txt"))
        await emulator.setConfig({ faults: [{ endpoint: "submit", kind: "oss_missing", at: [1] }] })
        const forced = await runCli(["run", file, "--force"], { cwd: dir, env })
        assert.strictEqual(forced.code, 0, forced.stderr)
        assert.match(forced.stderr, /^asrflow: 1 done, 0 failed, 2 skipped of 3 item\(s\)/m)
        assert.match(forced.stderr, /^asrflow: warn: the uploaded file is gone .*uploading it again/m)
        report = await emulator.report()
        assert.deepStrictEqual([...submissions(report)].sort(), [1, 1, 2])
        assert.isTrue(fs.existsSync(path.join(root, "transcripts/b.txt")))
        assert.deepStrictEqual(tempFilesUnder(root), [])
      }
    )
  })

  it("9. a cut-off result download is read again, without submitting again", async () => {
    const dir = freshDir("results")
    recordings(dir, ["a", "b", "c"])
    const file = writePipeline(dir, ["  - type: files", "    include: [audio]"], { provider: asyncProvider })
    await withEmulator({ faults: [{ endpoint: "result", kind: "truncate", at: [1, 2] }] }, async (emulator) => {
      const result = await runCli(["run", file], { cwd: dir, env: emulatorEnv(emulator, path.join(dir, "out")) })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stderr, /^asrflow: 3 done, 0 failed, 0 skipped of 3 item\(s\)/m)
      const report = await emulator.report()
      assert.strictEqual(report.counts["result truncated"], 2)
      assert.deepStrictEqual(submissions(report), [1, 1, 1])
    })
  })
})
