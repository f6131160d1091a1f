// The split route against the async route for long audio (issue 14's targets), in one run:
//
// - a 60-minute recording (espeak-ng words assembled with sox-made pauses, bench/lib/speech-corpus.mjs),
//   a 100 RPM budget, and the emulator's latency model at sync = 2 s + 0.1 s per audio second, filetrans
//   queue = 120 s: the split route's completion against the latency of one 5-minute sync call (target
//   ≤ 1.5×), with the async route's completion beside it;
// - cuts inside a word on that recording (the corpus knows where its words are; target 0);
// - peak RSS of the CLI splitting a 2-hour WAV (target < 200 MB).
//
// Every figure is one `asrflow run` of the built CLI as its own process, against the emulator binary as
// another; wall-clock times include the CLI's start and, for split, the decode and encode passes. Peak
// RSS is GNU time's maximum resident set size of the CLI process (VmHWM sampling without it).
//
//   node bench/long-audio.mjs            (npm run build first)
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { cli, startEmulator } from "./lib/emulator.mjs"
import { cutsInsideWords, makeCorpus } from "./lib/speech-corpus.mjs"

const work = mkdtempSync(path.join(tmpdir(), "asrflow-bench-long-"))
const rpm = 100
const log = (line) => process.stderr.write(`long-audio: ${line}\n`)

// ---------------------------------------------------------------------------------------------------
// Recordings
// ---------------------------------------------------------------------------------------------------
const recording = (name, seconds, seed) => {
  const dir = path.join(work, name)
  mkdirSync(path.join(dir, "audio"), { recursive: true })
  const file = path.join(dir, "audio", `${name}.wav`)
  const corpus = makeCorpus({ file, seconds, seed })
  return { dir, file, corpus }
}
log("making the recordings (espeak-ng + sox)")
const hour = recording("hour", 3600, 11)
const twoHours = recording("two-hours", 7200, 12)
// one 5-minute sync call: as FLAC, so that its data URI fits the 10 MB limit
const five = recording("five-minutes", 300, 13)
const fiveFlac = path.join(five.dir, "audio", "five-minutes.flac")
spawnSync("ffmpeg", ["-hide_banner", "-v", "error", "-y", "-i", five.file, "-c:a", "flac", fiveFlac])
rmSync(five.file)

// ---------------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------------
const pipeline = (dir, provider) => {
  const file = path.join(dir, `pipeline-${Date.now()}.yaml`)
  writeFileSync(
    file,
    [
      "version: 1",
      "sources:",
      "  - type: files",
      "    include: [audio]",
      "provider:",
      "  type: qwen",
      ...provider.map((line) => `  ${line}`),
      `  rate_limit: { requests_per_minute: ${rpm} }`,
      "  poll: { initial_interval_ms: 1000, max_interval_ms: 2000 }",
      "sinks:",
      "  - type: json",
      "  - type: srt",
      ""
    ].join("\n")
  )
  return file
}

const timeBinary = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined

/** One `asrflow run`: wall-clock seconds, peak RSS in MB, the JSON of its one item. */
const run = async (emulator, dir, provider, name) => {
  const output = path.join(dir, `out-${name}`)
  const file = pipeline(dir, provider)
  const args = [cli, "run", file]
  const command = timeBinary === undefined ? [process.execPath, args] : [timeBinary, ["-f", "maxrss=%M", process.execPath, ...args]]
  const started = performance.now()
  const child = spawn(command[0], command[1], {
    cwd: dir,
    env: { ...emulator.env, PATH: process.env.PATH, HOME: dir, OUTPUT_DIR: output },
    stdio: ["ignore", "ignore", "pipe"]
  })
  let stderr = ""
  let sampledKiB = 0
  child.stderr.on("data", (chunk) => (stderr += chunk))
  const sampler = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8")
      sampledKiB = Math.max(sampledKiB, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0))
    } catch {
      // exited
    }
  }, 25)
  const code = await new Promise((resolve) => child.on("exit", resolve))
  clearInterval(sampler)
  const seconds = (performance.now() - started) / 1000
  if (code !== 0) throw new Error(`${name}: asrflow exited ${code}\n${stderr}`)
  const timedKiB = Number(/maxrss=(\d+)/.exec(stderr)?.[1] ?? 0)
  const jsonFile = path.join(output, "aliyun-qwen-asr/transcripts", `${path.basename(dir)}.json`)
  const json = JSON.parse(readFileSync(jsonFile, "utf8"))
  log(`${name}: ${seconds.toFixed(1)} s, route ${json.route ?? "whole"}, ${json.chunks?.length ?? 1} request(s)`)
  return { seconds, peakMb: Math.max(timedKiB, sampledKiB) / 1024, json }
}

const cutsOf = (json) => json.chunks.slice(0, -1).flatMap((chunk, i) => {
  const next = json.chunks[i + 1]
  return next.start_ms === chunk.end_ms ? [chunk.end_ms] : [chunk.end_ms, next.start_ms]
})

const emulator = await startEmulator({
  rate_limits: { requests_per_minute: { default: rpm } },
  latency_ms: { sync: 2000, sync_per_audio_second: 100 },
  tasks: { pending_ms: 120_000, running_ms: 200 }
})
try {
  const single = await run(emulator, five.dir, ["model: qwen3-asr-flash"], "one 5-minute sync call")
  const split = await run(emulator, hour.dir, ["model: auto", "long_audio: split"], "60 min, split")
  const async = await run(emulator, hour.dir, ["model: auto", "long_audio: async"], "60 min, async")
  const big = await run(emulator, twoHours.dir, ["model: auto", "long_audio: split"], "120 min, split")
  const report = await emulator.report()

  const cuts = cutsOf(split.json)
  const inside = cutsInsideWords(cuts, hour.corpus.words).length
  const bigInside = cutsInsideWords(cutsOf(big.json), twoHours.corpus.words).length
  const ratio = split.seconds / single.seconds
  const rows = [
    ["one 5-minute sync call", single.seconds, 1, "-", single.peakMb],
    ["60 min, split route", split.seconds, split.json.chunks.length, inside, split.peakMb],
    ["60 min, async route", async.seconds, 1, "-", async.peakMb],
    ["120 min, split route", big.seconds, big.json.chunks.length, bigInside, big.peakMb]
  ]
  process.stderr.write(
    [
      "",
      "| run | completion (s) | requests | cuts inside a word | peak RSS (MB) |",
      "|---|---|---|---|---|",
      ...rows.map(([name, seconds, requests, cutsIn, rss]) =>
        `| ${name} | ${seconds.toFixed(1)} | ${requests} | ${cutsIn} | ${rss.toFixed(1)} |`
      ),
      ""
    ].join("\n") + "\n"
  )
  process.stdout.write(
    JSON.stringify({
      bench: "long-audio",
      rpm,
      single_5min_sync_s: Math.round(single.seconds * 10) / 10,
      split_60min_s: Math.round(split.seconds * 10) / 10,
      async_60min_s: Math.round(async.seconds * 10) / 10,
      split_over_single: Math.round(ratio * 100) / 100,
      split_chunks: split.json.chunks.length,
      cuts_inside_words: inside + bigInside,
      split_120min_s: Math.round(big.seconds * 10) / 10,
      peak_rss_120min_mb: Math.round(big.peakMb * 10) / 10,
      throttled_429: report.throttled_429,
      violations: report.violations.length
    }) + "\n"
  )
  if (ratio > 1.5 || inside + bigInside > 0 || big.peakMb >= 200 || report.violations.length > 0) process.exitCode = 1
} finally {
  await emulator.close()
  rmSync(work, { recursive: true, force: true })
}
