import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { dataUri, wav } from "./utils/audio.js"
import { client, compatBody, nativeBody, parked, request, until } from "./utils/http.js"

const uri = dataUri(wav(1))
let emulator: StartedEmulator
let api: ReturnType<typeof client>

const THROTTLED = "Requests rate limit exceeded, please try again later."

beforeAll(async () => {
  // a manual clock: time moves only when a test advances it, so limits, latencies and peaks are exact
  emulator = await startEmulator({ seed: 42, clock: "manual" })
  api = client(emulator)
})

afterAll(() => emulator.close())

beforeEach(() => emulator.reset())

afterEach(() =>
  emulator.setConfig({
    faults: [],
    drop_window: null,
    rate_limits: {
      enabled: true,
      requests_per_minute: { default: 100, "qwen3-asr-flash": 100, "qwen3-asr-flash-filetrans": 100 },
      burst_seconds: 60,
      task_query_qps: 20,
      get_policy_qps: 100,
      retry_after_s: null
    }
  })
)

describe("requests per minute", () => {
  it("answers 429 once the model's bucket is empty and recovers after refill", async () => {
    await emulator.setConfig({ rate_limits: { requests_per_minute: { "qwen3-asr-flash": 6 } } })
    for (let i = 0; i < 6; i++) expect((await api.compatible(compatBody(uri))).status).toBe(200)
    const throttled = await api.compatible(compatBody(uri))
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get("retry-after")).toBeNull()
    expect(throttled.json).toEqual({
      error: { message: THROTTLED, type: "limit_requests", code: "limit_requests", param: null },
      id: expect.stringMatching(/^chatcmpl-/),
      request_id: expect.any(String)
    })
    const native = await api.native(nativeBody(uri))
    expect(native.status).toBe(429)
    expect(native.json).toEqual({ code: "Throttling.RateQuota", message: THROTTLED, request_id: expect.any(String) })

    // Other models (including dated snapshots) have their own bucket.
    expect((await api.compatible(compatBody(uri, {}, "qwen3-asr-flash-2026-02-10"))).status).toBe(200)

    // 6 RPM refills one token every 10 s.
    await emulator.advance(10_000)
    expect((await api.compatible(compatBody(uri))).status).toBe(200)
    expect((await api.compatible(compatBody(uri))).status).toBe(429)
    const report = await emulator.report()
    expect(report.throttled_429).toBe(3)
    expect(report.counts["compatible 429"]).toBe(2)
    expect(report.counts["native 429"]).toBe(1)
  })

  it("enforces per second with burst_seconds: 1, and sends Retry-After when configured", async () => {
    await emulator.setConfig({
      rate_limits: { requests_per_minute: { "qwen3-asr-flash": 120 }, burst_seconds: 1, retry_after_s: 3 }
    })
    expect((await api.compatible(compatBody(uri))).status).toBe(200)
    expect((await api.compatible(compatBody(uri))).status).toBe(200)
    const throttled = await api.compatible(compatBody(uri))
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get("retry-after")).toBe("3")
    await emulator.advance(500)
    expect((await api.compatible(compatBody(uri))).status).toBe(200)
  })

  it("limits async submits per model", async () => {
    await emulator.setConfig({ rate_limits: { requests_per_minute: { "qwen3-asr-flash-filetrans": 1 } } })
    const body = { model: "qwen3-asr-flash-filetrans", input: { file_url: "https://example.com/a.wav" } }
    expect((await api.submit(body)).status).toBe(200)
    const throttled = await api.submit(body)
    expect(throttled.status).toBe(429)
    expect(throttled.json.code).toBe("Throttling.RateQuota")
  })
})

describe("task queries and getPolicy", () => {
  it("allows 20 task queries in any 1 s window and records the peak rate", async () => {
    const replies = await Promise.all(Array.from({ length: 25 }, () => api.task("some-id")))
    const statuses = replies.map((r) => r.status)
    expect(statuses.filter((s) => s === 200).length).toBe(20)
    expect(statuses.filter((s) => s === 429).length).toBe(5)
    expect(replies.find((r) => r.status === 429)!.json).toEqual({
      code: "Throttling",
      message: THROTTLED,
      request_id: expect.any(String)
    })
    await emulator.advance(1001)
    expect((await api.task("some-id")).status).toBe(200)
    const report = await emulator.report()
    expect(report.peak_task_query_qps).toBe(25)
    expect(report.throttled_429).toBe(5)
  })

  it("limits getPolicy per model", async () => {
    await emulator.setConfig({ rate_limits: { get_policy_qps: 3 } })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await api.policy("qwen3-asr-flash")).status)
    expect(statuses).toEqual([200, 200, 200, 429])
    expect((await api.policy("qwen3-asr-flash-filetrans")).status).toBe(200)
    await emulator.advance(1001)
    expect((await api.policy("qwen3-asr-flash")).status).toBe(200)
  })

  it("can be switched off", async () => {
    await emulator.setConfig({ rate_limits: { enabled: false } })
    const replies = await Promise.all(Array.from({ length: 40 }, () => api.task("x")))
    expect(replies.every((r) => r.status === 200)).toBe(true)
  })
})

describe("faults", () => {
  it("injects 500 InternalError every N requests, in each envelope", async () => {
    await emulator.setConfig({ faults: [{ endpoint: "sync", kind: "internal_error", every: 2 }] })
    expect((await api.compatible(compatBody(uri))).status).toBe(200)
    const compat = await api.compatible(compatBody(uri))
    expect(compat.status).toBe(500)
    expect(compat.json.error).toEqual({
      code: "internal_error",
      param: null,
      message: "<500> InternalError: An internal error has occured, please try again later or contact service support.",
      type: "internal_error"
    })
    expect((await api.native(nativeBody(uri))).status).toBe(200)
    const native = await api.native(nativeBody(uri))
    expect(native.status).toBe(500)
    expect(native.json).toEqual({
      code: "InternalError",
      message: "An internal error has occured, please try again later or contact service support.",
      request_id: expect.any(String)
    })
    expect((await emulator.report()).faults).toEqual({ internal_error: 2 })
  })

  it("injects 503 ModelUnavailable and 429 throttles, scoped to an endpoint", async () => {
    await emulator.setConfig({
      faults: [
        { endpoint: "native", kind: "model_unavailable", probability: 1 },
        { endpoint: "task", kind: "throttle", every: 1 }
      ]
    })
    const native = await api.native(nativeBody(uri))
    expect(native.status).toBe(503)
    expect(native.json).toEqual({
      code: "ModelUnavailable",
      message: "Model is unavailable, please try again later.",
      request_id: expect.any(String)
    })
    expect((await api.compatible(compatBody(uri))).status).toBe(200)
    const task = await api.task("x")
    expect(task.status).toBe(429)
    expect(task.json.code).toBe("Throttling")
  })

  it("is deterministic for a seed", async () => {
    const pattern = async (target: StartedEmulator) => {
      await target.setConfig({
        rate_limits: { enabled: false },
        faults: [{ endpoint: "*", kind: "internal_error", probability: 0.5 }]
      })
      const out: Array<number> = []
      for (let i = 0; i < 20; i++) out.push((await client(target).compatible(compatBody(uri))).status)
      return out
    }
    const other = await startEmulator({ seed: 42 })
    try {
      const a = await pattern(emulator)
      const b = await pattern(other)
      expect(a).toEqual(b)
      expect(a).toContain(500)
      expect(a).toContain(200)
    } finally {
      await other.close()
    }
  })

  it("resets the connection mid-response", async () => {
    await emulator.setConfig({ faults: [{ endpoint: "compatible", kind: "reset", every: 1, limit: 1 }] })
    await expect(api.compatible(compatBody(uri))).rejects.toThrow()
    expect((await api.compatible(compatBody(uri))).status).toBe(200)
    const report = await emulator.report()
    expect(report.counts["compatible reset"]).toBe(1)
    expect(report.faults).toEqual({ reset: 1 })
  })

  it("answers slower than the client timeout", async () => {
    await emulator.setConfig({ faults: [{ endpoint: "sync", kind: "slow", every: 1, slow_ms: 1500 }] })
    const controller = new AbortController()
    const pending = fetch(`${emulator.compatibleBaseUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${emulator.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(compatBody(uri)),
      signal: controller.signal
    })
    // the answer waits 1.5 s of emulator time, which does not pass until advanced: the client gives up first
    await parked(emulator, 1)
    controller.abort()
    await expect(pending).rejects.toThrow()
    await until(
      "the emulator to see the hang-up",
      async () => (await emulator.report()).counts["compatible aborted"] === 1
    )
    const report = await emulator.report()
    expect(report.faults).toEqual({ slow: 1 })
    expect(report.counts).toEqual({ "compatible aborted": 1 })
    await emulator.advance(1500)
  })

  it("answers OSS endpoints with XML faults", async () => {
    await emulator.setConfig({ faults: [{ endpoint: "upload", kind: "internal_error" }] })
    const reply = await request(`${emulator.origin}/__oss/upload`, { method: "POST", body: "x" })
    expect(reply.status).toBe(500)
    expect(reply.text).toContain("<Code>InternalError</Code>")
  })

  it("drops every connection inside the drop window, but not the control routes", async () => {
    await emulator.setConfig({ drop_window: { start_ms: 0, duration_ms: 5000 } })
    await expect(api.compatible(compatBody(uri))).rejects.toThrow()
    await expect(api.task("x")).rejects.toThrow()
    const report = await emulator.report()
    expect(report.dropped_connections).toBe(2)
    await emulator.advance(5000)
    expect((await api.compatible(compatBody(uri))).status).toBe(200)
  })

  it("keeps the drop window's start when later patches do not touch it", async () => {
    await emulator.setConfig({ drop_window: { start_ms: 60_000, duration_ms: 1000 } })
    await emulator.advance(30_000)
    await emulator.setConfig({ latency_ms: { sync: 0 } })
    expect((await api.compatible(compatBody(uri))).status).toBe(200)
    await emulator.advance(30_000)
    await expect(api.compatible(compatBody(uri))).rejects.toThrow()
    await emulator.advance(1000)
    expect((await api.compatible(compatBody(uri))).status).toBe(200)
  })

  it("adds configured latency", async () => {
    await emulator.setConfig({ latency_ms: { sync: 150, sync_per_audio_second: 100 } })
    let answered = false
    const pending = api.compatible(compatBody(uri)).then((reply) => {
      answered = true
      return reply
    })
    // 150 ms + 100 ms per audio second × 1 s = 250 ms of emulator time
    await parked(emulator, 1)
    await emulator.advance(249)
    const waiting = await emulator.report()
    expect(waiting.clock_waiters).toBe(1)
    expect(waiting.in_flight).toBe(1)
    expect(answered).toBe(false)
    await emulator.advance(1)
    expect((await pending).status).toBe(200)
    await emulator.setConfig({ latency_ms: { sync: 0, sync_per_audio_second: 0 } })
  })
})

describe("report", () => {
  it("counts requests and responses per endpoint, and peak concurrency", async () => {
    await emulator.setConfig({ latency_ms: { sync: 100 } })
    const pending = Promise.all(Array.from({ length: 8 }, () => api.compatible(compatBody(uri))))
    await parked(emulator, 8)
    await emulator.advance(100)
    await pending
    await emulator.setConfig({ latency_ms: { sync: 0 } })
    await api.task("x")
    const report = await request(`${emulator.origin}/__emulator/report`)
    expect(report.status).toBe(200)
    expect(report.json.requests).toEqual({ compatible: 8, task: 1 })
    expect(report.json.counts).toEqual({ "compatible 200": 8, "task 200": 1 })
    expect(report.json.peak_concurrent).toBe(8)
    const reset = await request(`${emulator.origin}/__emulator/reset`, { method: "POST", body: "" })
    expect(reset.status).toBe(200)
    expect((await emulator.report()).requests).toEqual({})
  })

  it("takes config patches and clock jumps over HTTP", async () => {
    const bad = await request(`${emulator.origin}/__emulator/config`, { body: { rate_limits: { nope: 1 } } })
    expect(bad.status).toBe(400)
    expect(bad.json.ok).toBe(false)
    const good = await request(`${emulator.origin}/__emulator/config`, {
      body: { faults: [{ endpoint: "task", kind: "model_unavailable" }] }
    })
    expect(good.json).toEqual({ ok: true })
    expect((await api.task("x")).status).toBe(503)
    const advance = await request(`${emulator.origin}/__emulator/advance`, { body: { ms: 1000 } })
    expect(advance.json.ok).toBe(true)
  })
})
