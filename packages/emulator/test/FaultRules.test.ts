import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { dataUri, wav } from "./utils/audio.js"
import { client, compatBody, nativeBody } from "./utils/http.js"

const uri = dataUri(wav(1))
let emulator: StartedEmulator
let api: ReturnType<typeof client>

const statuses = async (n: number, send: () => Promise<{ status: number }>) => {
  const out: Array<number> = []
  for (let i = 0; i < n; i++) out.push((await send()).status)
  return out
}

beforeAll(async () => {
  emulator = await startEmulator({ clock: "manual", rate_limits: { enabled: false } })
  api = client(emulator)
})

afterAll(() => emulator.close())

beforeEach(async () => {
  await emulator.setConfig({ faults: [], rate_limits: { retry_after_s: null } })
  await emulator.reset()
})

describe("faults by request number", () => {
  it("throttles exactly the requests named in `at`", async () => {
    await emulator.setConfig({ faults: [{ endpoint: "compatible", kind: "throttle", at: [2, 4] }] })
    expect(await statuses(5, () => api.compatible(compatBody(uri)))).toEqual([200, 429, 200, 429, 200])
    // requests to other endpoints are not counted by this rule
    expect((await api.native(nativeBody(uri))).status).toBe(200)
    const report = await emulator.report()
    expect(report.faults).toEqual({ throttle: 2 })
    expect(report.faults_by_rule).toEqual([2])
    expect(report.counts).toEqual({ "compatible 200": 3, "compatible 429": 2, "native 200": 1 })
    expect(report.rate_limited_429).toBe(0)
  })

  it("throttles requests N..M with `from` and `to`, and each rule counts on its own", async () => {
    await emulator.setConfig({
      faults: [
        { endpoint: "sync", kind: "throttle", from: 3, to: 5 },
        { endpoint: "sync", kind: "internal_error", from: 7 }
      ]
    })
    expect(await statuses(8, () => api.native(nativeBody(uri)))).toEqual([200, 200, 429, 429, 429, 200, 500, 500])
    expect((await emulator.report()).faults_by_rule).toEqual([3, 2])
  })

  it("answers `error` faults with the given status, code and message, in each envelope", async () => {
    await emulator.setConfig({
      faults: [{
        endpoint: "sync",
        kind: "error",
        status: 429,
        code: "Throttling.AllocationQuota",
        message: "Allocated quota exceeded, please increase your quota limit.",
        at: [1, 2]
      }, { endpoint: "submit", kind: "error", status: 400, code: "Arrearage", at: [1] }]
    })
    const native = await api.native(nativeBody(uri))
    expect(native.status).toBe(429)
    expect(native.json).toEqual({
      code: "Throttling.AllocationQuota",
      message: "Allocated quota exceeded, please increase your quota limit.",
      request_id: expect.any(String)
    })
    const compat = await api.compatible(compatBody(uri))
    expect(compat.status).toBe(429)
    expect(compat.json.error).toEqual({
      code: "insufficient_quota",
      param: null,
      message: "Allocated quota exceeded, please increase your quota limit.",
      type: "insufficient_quota"
    })
    const submit = await api.submit({
      model: "qwen3-asr-flash-filetrans",
      input: { file_url: "http://127.0.0.1:9/a.wav" }
    })
    expect(submit.status).toBe(400)
    expect(submit.json.code).toBe("Arrearage")
    expect((await emulator.report()).faults).toEqual({ error: 3 })
  })

  it("gives Retry-After per rule, overriding the rate-limit policy either way", async () => {
    await emulator.setConfig({
      rate_limits: { retry_after_s: 5 },
      faults: [
        { endpoint: "compatible", kind: "throttle", at: [1], retry_after_s: 2 },
        { endpoint: "compatible", kind: "throttle", at: [2], retry_after_s: null },
        { endpoint: "compatible", kind: "throttle", at: [3] }
      ]
    })
    const headers = []
    for (let i = 0; i < 3; i++) headers.push((await api.compatible(compatBody(uri))).headers.get("retry-after"))
    expect(headers).toEqual(["2", null, "5"])
  })

  it("rejects an `error` fault without a status", async () => {
    await expect(emulator.setConfig({ faults: [{ kind: "error" }] })).rejects.toThrow(/needs a `status`/)
  })
})
