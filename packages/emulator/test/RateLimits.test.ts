import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { dataUri, wav } from "./utils/audio.js"
import { client, compatBody, nativeBody } from "./utils/http.js"

const uri = dataUri(wav(1))
let emulator: StartedEmulator
let api: ReturnType<typeof client>

const statuses = async (n: number, model = "qwen3-asr-flash") => {
  const out: Array<number> = []
  for (let i = 0; i < n; i++) out.push((await api.compatible(compatBody(uri, {}, model))).status)
  return out
}
const count = (list: Array<number>, status: number) => list.filter((s) => s === status).length

// every test gets a fresh emulator on a manual clock: buckets start full, and time moves only by advance
const start = async (rateLimits: Record<string, unknown>) => {
  emulator = await startEmulator({ clock: "manual", rate_limits: rateLimits })
  api = client(emulator)
}

beforeEach(() => {
  emulator = undefined as never
})

afterEach(() => emulator?.close())

describe("per-model limits and bursts", () => {
  it("enforces a model limit that differs from the documented 100 RPM", async () => {
    await start({ requests_per_minute: { default: 100, "qwen3-asr-flash": 30 } })
    const flash = await statuses(31)
    expect(count(flash, 200)).toBe(30)
    expect(flash.at(-1)).toBe(429)
    // the snapshot has its own bucket at the default
    expect(count(await statuses(100, "qwen3-asr-flash-2026-02-10"), 200)).toBe(100)
  })

  it("holds a burst of burst_fraction × the limit, then refills at the limit", async () => {
    await start({ requests_per_minute: { "qwen3-asr-flash": 600 }, burst_fraction: 0.1 })
    const burst = await statuses(61)
    expect(count(burst, 200)).toBe(60)
    expect(burst.at(-1)).toBe(429)
    // 600 RPM refills one token every 100 ms
    await emulator.advance(99)
    expect(await statuses(1)).toEqual([429])
    await emulator.advance(1)
    expect(await statuses(2)).toEqual([200, 429])
    await emulator.advance(1000)
    expect(count(await statuses(11), 200)).toBe(10)
  })
})

describe("Retry-After", () => {
  it("goes on retry_after_share of the 429s, evenly and by count", async () => {
    await start({ requests_per_minute: { "qwen3-asr-flash": 1 }, retry_after_s: 2, retry_after_share: 0.5 })
    expect((await api.compatible(compatBody(uri))).status).toBe(200)
    const headers = []
    for (let i = 0; i < 6; i++) {
      const reply = await api.compatible(compatBody(uri))
      expect(reply.status).toBe(429)
      headers.push(reply.headers.get("retry-after"))
    }
    expect(headers).toEqual([null, "2", null, "2", null, "2"])
  })
})

describe("limits that change mid-run", () => {
  it("follows a schedule over emulator time, without refilling the bucket", async () => {
    await start({
      requests_per_minute: { "qwen3-asr-flash": 120 },
      burst_seconds: 1,
      schedule: [{ after_ms: 60_000, requests_per_minute: { "qwen3-asr-flash": 60 } }]
    })
    // 120 RPM: 2 per second
    expect(await statuses(3)).toEqual([200, 200, 429])
    await emulator.advance(1000)
    expect(await statuses(3)).toEqual([200, 200, 429])
    // from 60 s on, the limit is halved: one token per second, and no new burst
    await emulator.advance(59_000)
    expect(await statuses(2)).toEqual([200, 429])
    await emulator.advance(999)
    expect(await statuses(1)).toEqual([429])
    await emulator.advance(1)
    expect(await statuses(2)).toEqual([200, 429])
  })

  it("retunes the bucket when a config patch changes the limit, keeping what is left", async () => {
    await start({ requests_per_minute: { "qwen3-asr-flash": 60 } })
    expect(count(await statuses(30), 200)).toBe(30)
    await emulator.setConfig({ rate_limits: { requests_per_minute: { "qwen3-asr-flash": 20 } } })
    // 30 tokens were left, the new capacity is 20
    const after = await statuses(21)
    expect(count(after, 200)).toBe(20)
    expect(after.at(-1)).toBe(429)
  })
})

describe("report", () => {
  it("gives request starts per second per endpoint and model, and the 429 share", async () => {
    await start({ requests_per_minute: { "qwen3-asr-flash": 120 }, burst_seconds: 1 })
    await statuses(3)
    expect((await api.native(nativeBody(uri))).status).toBe(429)
    await emulator.advance(1000)
    await statuses(1)
    await emulator.advance(2500)
    await statuses(2)
    await api.task("some-task")
    const report = await emulator.report()
    expect(report.starts_per_second.series).toEqual({
      "compatible qwen3-asr-flash": [[0, 3, 1], [1, 1, 0], [3, 2, 0]],
      "native qwen3-asr-flash": [[0, 1, 1]],
      task: [[3, 1, 0]]
    })
    expect(report.starts_per_second.origin_ms).toBe(report.clock_ms - 3500)
    expect(report.throttled_429).toBe(2)
    expect(report.rate_limited_429).toBe(2)
    expect(report.share_429).toBeCloseTo(2 / 8)
    await emulator.reset()
    expect((await emulator.report()).starts_per_second).toEqual({ origin_ms: report.clock_ms, series: {} })
  })
})
