// Peak memory of the temporary-upload path (TempUpload.stage: getPolicy, then the streamed multipart POST)
// for a 1 GiB WAV made with sox, against the 200 MB budget of docs/CONTRIBUTING.md §5.
//
// The emulator runs as its own process; the upload runs in a child process bundled with esbuild (no
// TypeScript loader in the measured process), and its peak RSS is both sampled from /proc/<pid>/status
// (VmHWM) and reported by the child itself (process.resourceUsage().maxRSS).
//
//   node bench/upload-memory.mjs            (ASRFLOW_BENCH_UPLOAD_MB=1024 by default)
import { spawn, spawnSync } from "node:child_process"
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as esbuild from "esbuild"
import { startEmulator } from "./lib/emulator.mjs"
import { wavHeader } from "./lib/wav.mjs"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const budgetMb = 200
const sizeMb = Number(process.env.ASRFLOW_BENCH_UPLOAD_MB ?? 1024)
const work = mkdtempSync(path.join(tmpdir(), "asrflow-bench-upload-"))

// ---------------------------------------------------------------------------------------------------
// A WAV of (just under) sizeMb MiB: sox synthesises a 16 kHz mono 16-bit tone; without sox, a WAV
// header followed by a sparse run of zeros (the upload reads the same number of bytes either way).
// ---------------------------------------------------------------------------------------------------
const audio = path.join(work, "big.wav")
const seconds = Math.floor((sizeMb * 1024 * 1024 - 1024) / 32000)
const sox = spawnSync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", audio, "synth", String(seconds), "sine", "440"])
let made = "sox"
if (sox.status !== 0) {
  made = "header+zeros"
  const dataBytes = seconds * 32000
  const fd = openSync(audio, "w")
  writeSync(fd, wavHeader(16000, dataBytes))
  closeSync(fd)
  spawnSync("truncate", ["-s", String(44 + dataBytes), audio])
}
const fileBytes = statSync(audio).size

// ---------------------------------------------------------------------------------------------------
// The measured child: the real stager over undici, as the CLI builds it.
// ---------------------------------------------------------------------------------------------------
const child = path.join(work, "upload-child.mjs")
await esbuild.build({
  stdin: {
    resolveDir: root,
    loader: "ts",
    contents: `
      import * as RetryPolicy from "@asrflow/core/RetryPolicy"
      import * as DashScopeClient from "@asrflow/providers/DashScopeClient"
      import * as TempUpload from "@asrflow/providers/TempUpload"
      import { NodeContext, NodeHttpClient } from "@effect/platform-node"
      import { Effect, Layer, Redacted } from "effect"
      const file = process.argv[2]
      const program = Effect.gen(function*() {
        const client = yield* DashScopeClient.make({
          apiKey: Redacted.make(process.env.DASHSCOPE_API_KEY),
          httpBaseUrl: process.env.DASHSCOPE_HTTP_BASE_URL
        })
        const stager = yield* TempUpload.make({ retry: RetryPolicy.defaults }).pipe(
          Effect.provideService(DashScopeClient.DashScopeClient, client)
        )
        const started = Date.now()
        const staged = yield* stager.stage(file, { model: "qwen3-asr-flash-filetrans", mime: "audio/wav" })
        return { fileUrl: staged.fileUrl, bytes: staged.bytes, ms: Date.now() - started }
      }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)))
      Effect.runPromise(program).then(
        (result) => process.stdout.write(JSON.stringify({ ...result, maxRssKiB: process.resourceUsage().maxRSS }) + "\\n"),
        (error) => { process.stderr.write(String(error) + "\\n"); process.exit(1) }
      )
    `
  },
  outfile: child,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  external: ["better-sqlite3"],
  banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  logLevel: "warning"
})

const emulator = await startEmulator({})
try {
  const proc = spawn(process.execPath, [child, audio], {
    env: { ...emulator.env, PATH: process.env.PATH },
    stdio: ["ignore", "pipe", "inherit"]
  })
  let sampledKiB = 0
  const readHwm = () => {
    try {
      const status = readFileSync(`/proc/${proc.pid}/status`, "utf8")
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
      if (hwm > sampledKiB) sampledKiB = hwm
    } catch {
      // the process has exited
    }
  }
  const sampler = setInterval(readHwm, 25)
  let out = ""
  proc.stdout.on("data", (chunk) => {
    out += chunk
  })
  const code = await new Promise((resolve) => proc.on("exit", resolve))
  clearInterval(sampler)
  if (code !== 0) throw new Error(`the upload child exited with ${code}`)
  const result = JSON.parse(out.trim().split("\n").pop())
  const report = await emulator.report()
  const uploaded = report.uploads.find((upload) => `oss://${upload.key}` === result.fileUrl)
  const peakMb = Math.max(result.maxRssKiB, sampledKiB) / 1024
  process.stdout.write(
    JSON.stringify({
      bench: "upload-memory",
      file_mb: Math.round(fileBytes / 1024 / 1024),
      made_with: made,
      uploaded_bytes_match: uploaded?.bytes === fileBytes,
      upload_ms: result.ms,
      peak_rss_mb: Math.round(peakMb * 10) / 10,
      budget_mb: budgetMb,
      ratio_to_budget: Math.round((peakMb / budgetMb) * 1000) / 1000,
      ratio_to_file_size: Math.round((peakMb * 1024 * 1024 / fileBytes) * 1000) / 1000,
      key_leaks: report.key_leaks,
      violations: report.violations.length
    }) + "\n"
  )
  if (peakMb >= budgetMb || uploaded?.bytes !== fileBytes) process.exitCode = 1
} finally {
  await emulator.close()
  rmSync(work, { recursive: true, force: true })
}
