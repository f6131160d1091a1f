/**
 * A second provider, registered from outside through the public registry API (test/fixtures/echo), runs
 * through `run`, `validate`, `doctor` and the functions behind the Promise API, without any change to the
 * CLI's code. (The published Promise API is a sealed bundle with its own copy of Effect, so components
 * from outside cannot cross into it; custom components go through a CLI or program built from source.)
 */
import { PipelineLoader } from "@asrflow/core"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as OneShot from "../src/OneShot.js"
import { wavHeader } from "../src/PcmInput.js"
import * as PipelineRun from "../src/PipelineRun.js"
import { registries } from "./fixtures/echo/registries.js"
import { repoRoot, runCli } from "./utils/Cli.js"
import { listFiles } from "./utils/Static.js"

const echoBinary = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/echo/asrflow-echo.ts")
// tsx's loader by absolute URL: the processes run in temp directories, where `--import tsx` would not resolve
const tsxLoader = pathToFileURL(path.join(repoRoot, "node_modules/tsx/dist/loader.mjs")).href
const key = "echo-secret-key-0123456789"

/** Runs the echo-enabled asrflow as its own process (through tsx), with a clean environment plus `env`. */
const runEcho = (
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: Record<string, string> }
) =>
  runCli(args, {
    cwd: options.cwd,
    // tsx keeps a compile cache in TMPDIR: give it the test's own directory, removed with it
    env: { HOME: options.cwd, TMPDIR: options.cwd, ...options.env },
    script: { file: echoBinary, nodeArgs: ["--import", tsxLoader] }
  })

/** One second of 16 kHz silence as a WAV file. */
const writeWav = (file: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const samples = new Uint8Array(32_000)
  fs.writeFileSync(file, Buffer.concat([wavHeader(samples.length, 16_000), samples]))
}

const setup = (provider: ReadonlyArray<string>) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asrflow-echo-"))
  writeWav(path.join(dir, "audio/a.wav"))
  writeWav(path.join(dir, "audio/sub/b.wav"))
  fs.writeFileSync(
    path.join(dir, "pipeline.yaml"),
    [
      "version: 1",
      "sources:",
      "  - type: files",
      "    include: [audio]",
      "provider:",
      ...provider.map((line) => `  ${line}`),
      "sinks:",
      "  - type: text",
      "  - type: evidence",
      "  - type: jsonl",
      "  - type: count",
      ""
    ].join("\n")
  )
  return dir
}

const everyFileLacks = (root: string, secret: string) => {
  for (const file of listFiles(root)) {
    assert.notInclude(fs.readFileSync(path.join(root, file), "latin1"), secret, file)
  }
}

describe("a second provider (and a sink) through the public registry", () => {
  it("runs a pipeline with it: its folder, its transcripts, its key redacted everywhere", async () => {
    const dir = setup(["type: echo", "model: echo-2", "context: glossary"])
    try {
      const result = await runEcho(["run", "pipeline.yaml"], { cwd: dir, env: { ECHO_API_KEY: key } })
      assert.strictEqual(result.code, 0, result.stderr)
      const root = path.join(dir, "output/echo-asr")
      assert.strictEqual(
        fs.readFileSync(path.join(root, "transcripts/sub/b.txt"), "utf8").trim(),
        "echo sub/b via echo-2 in here with context glossary"
      )
      assert.match(result.stderr, /2 done, 0 failed, 0 skipped of 2 item\(s\)/)
      // the test-only sink, added as docs/ARCHITECTURE.md "How to add a sink" says
      assert.strictEqual(fs.readFileSync(path.join(root, "counts/sub/b.count"), "utf8"), "9\n")
      assert.isTrue(fs.existsSync(path.join(root, "ledger.sqlite")))
      everyFileLacks(dir, key)
      assert.notInclude(result.stdout + result.stderr, key)

      const again = await runEcho(["run", "pipeline.yaml"], { cwd: dir, env: { ECHO_API_KEY: key } })
      assert.strictEqual(again.code, 0, again.stderr)
      assert.match(again.stderr, /0 done, 0 failed, 2 skipped of 2 item\(s\)/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("stops a run without its key with the provider's own message and exit code 3", async () => {
    const dir = setup(["type: echo"])
    try {
      const result = await runEcho(["run", "pipeline.yaml"], { cwd: dir })
      assert.strictEqual(result.code, 3)
      assert.include(result.stderr, "No echo key found: set ECHO_API_KEY.")
      assert.isFalse(fs.existsSync(path.join(dir, "output/echo-asr/transcripts")))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("validates with the provider's warnings from its capability table", async () => {
    const dir = setup(["type: echo", "model: echo-1", "context: glossary"])
    try {
      const result = await runEcho(["validate", "pipeline.yaml"], { cwd: dir })
      assert.strictEqual(result.code, 0, result.stderr)
      const report = fs.readFileSync(path.join(dir, "output/echo-asr/validate.txt"), "utf8")
      assert.include(report, "provider echo")
      assert.include(report, "warning: echo-1 cannot honour context; it is not sent")
      assert.include(report, "source 0 (files): 2 item(s)")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("checks it with doctor: where the key came from, its facts, and exit 3 when its check fails", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asrflow-echo-"))
    try {
      const ok = await runEcho(["doctor", "--provider", "echo"], { cwd: dir, env: { ECHO_API_KEY: key } })
      assert.strictEqual(ok.code, 0, ok.stderr)
      assert.include(ok.stdout, "key: found in ECHO_API_KEY")
      assert.include(ok.stdout, "region: here")
      assert.include(ok.stdout, "check: ok - the key from ECHO_API_KEY echoes back")
      assert.notInclude(ok.stdout, key)

      const far = await runEcho(["doctor", "--provider", "echo", "--region", "there"], {
        cwd: dir,
        env: { ECHO_API_KEY: key }
      })
      assert.strictEqual(far.code, 3)
      assert.include(far.stderr, "try --region here")

      const unknownRegion = await runEcho(["doctor", "--provider", "echo", "--region", "elsewhere"], { cwd: dir })
      assert.strictEqual(unknownRegion.code, 2)
      assert.include(unknownRegion.stderr, "elsewhere")

      const missing = await runEcho(["doctor", "--provider", "echo"], { cwd: dir })
      assert.strictEqual(missing.code, 3)
      assert.include(missing.stderr, "No echo key found")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
    // four processes, each compiling the echo provider with tsx in a fresh cache: slow on a loaded machine
  }, 300_000)

  it("runs programmatically through the functions behind the Promise API, with the same registries", async () => {
    const dir = setup(["type: echo"])
    try {
      const program = Effect.gen(function*() {
        const loaded = yield* PipelineLoader.PipelineLoader.load(path.join(dir, "pipeline.yaml"), registries)
        const outcome = yield* PipelineRun.execute(loaded, {
          registries,
          apiKey: key,
          outputDir: path.join(dir, "out"),
          events: { display: "none" }
        })
        const one = yield* OneShot.execute(registries, {
          audio: path.join(dir, "audio/a.wav"),
          provider: "echo",
          model: "echo-2",
          context: "terms",
          api_key: key,
          output_dir: path.join(dir, "one")
        })
        return { outcome, one }
      })
      const { one, outcome } = await Effect.runPromise(
        program.pipe(
          Effect.provide(Layer.mergeAll(PipelineLoader.PipelineLoader.Default, NodeHttpClient.layerUndici)),
          Effect.provide(NodeContext.layer)
        )
      )
      assert.strictEqual(outcome._tag === "Finished" && outcome.summary.done, 2)
      assert.strictEqual(
        fs.readFileSync(path.join(dir, "out/transcripts/a.txt"), "utf8").trim(),
        "echo a via echo-1 in here"
      )
      assert.strictEqual(one.transcript.text, "echo a via echo-2 in here with context terms")
      assert.strictEqual(one.transcript.status, "SUCCEEDED")
      everyFileLacks(dir, key)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
