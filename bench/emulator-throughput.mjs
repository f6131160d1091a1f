// Measures how many small sync requests per second the emulator serves (rate limits off).
// The emulator runs as its own process (the built binary), the load generator here: 64 concurrent
// keep-alive connections posting a 1 s WAV data URI to the compatible endpoint, for DURATION_S seconds.
// Usage: node bench/emulator-throughput.mjs [seconds] [concurrency]
import { readFileSync } from "node:fs"
import * as http from "node:http"
import { startEmulator } from "./lib/emulator.mjs"
import { wavFile } from "./lib/wav.mjs"

const seconds = Number(process.argv[2] ?? 5)
const concurrency = Number(process.argv[3] ?? 64)
const endpoint = process.argv[4] ?? "compatible"

const urls = await startEmulator({ rate_limits: { enabled: false } })

const rate = 16000
const data = Buffer.alloc(rate * 2)
const uri = `data:audio/wav;base64,${wavFile(rate, data).toString("base64")}`
const body = endpoint === "native"
  ? JSON.stringify({ model: "qwen3-asr-flash", input: { messages: [{ role: "user", content: [{ audio: uri }] }] } })
  : JSON.stringify({ model: "qwen3-asr-flash", messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: uri } }] }] })
const path = endpoint === "native" ? "/api/v1/services/aigc/multimodal-generation/generation" : "/compatible-mode/v1/chat/completions"
const target = new URL(urls.origin)
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })

const once = () =>
  new Promise((resolve, reject) => {
    const req = http.request({
      host: target.hostname,
      port: target.port,
      path,
      method: "POST",
      agent,
      headers: { authorization: `Bearer ${urls.apiKey}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) }
    }, (res) => {
      res.resume()
      res.on("end", () => resolve(res.statusCode))
    })
    req.on("error", reject)
    req.end(body)
  })

// CPU time of the emulator process (Linux /proc): capacity = requests / CPU seconds, independent of machine load.
const cpuSeconds = () => {
  try {
    const fields = readFileSync(`/proc/${urls.pid}/stat`, "utf8").split(") ")[1].split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

let ok = 0
let failed = 0
const deadline = Date.now() + seconds * 1000
const worker = async () => {
  while (Date.now() < deadline) {
    const status = await once()
    if (status === 200) ok++
    else failed++
  }
}
// Warm up (JIT, audio analysis cache), then measure.
await Promise.all(Array.from({ length: 200 }, once))
const cpuBefore = cpuSeconds()
const started = Date.now()
await Promise.all(Array.from({ length: concurrency }, worker))
const elapsed = (Date.now() - started) / 1000
const cpu = cpuSeconds() - cpuBefore
await urls.close()
agent.destroy()
console.log(JSON.stringify({
  bench: "emulator-throughput",
  endpoint,
  concurrency,
  seconds: Number(elapsed.toFixed(2)),
  requests: ok + failed,
  non_200: failed,
  requests_per_second: Math.round(ok / elapsed),
  server_cpu_ms_per_request: Number(((cpu * 1000) / (ok + failed)).toFixed(3)),
  capacity_per_core: Math.round((ok + failed) / cpu),
  target_per_second: 1000,
  ratio: Number((ok / elapsed / 1000).toFixed(2))
}))
