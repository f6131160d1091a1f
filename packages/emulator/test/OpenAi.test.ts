import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { wav } from "./utils/audio.js"
import { client, request } from "./utils/http.js"

let emulator: StartedEmulator
let api: ReturnType<typeof client>

const audio = { name: "hello.wav", bytes: wav(3) }

beforeAll(async () => {
  emulator = await startEmulator({
    clock: "manual",
    rate_limits: { requests_per_minute: { default: 100, "whisper-large-v3": 2 }, retry_after_s: 7 },
    transcripts: {},
    openai: { max_file_bytes: 200_000 }
  })
  api = client(emulator)
})

afterAll(() => emulator.close())

beforeEach(() => emulator.reset())

describe("POST /v1/audio/transcriptions", () => {
  it("answers verbose_json with segments and words in seconds, and rate-limit headers", async () => {
    const reply = await api.transcribe({
      model: "whisper-1",
      language: "en",
      response_format: "verbose_json",
      temperature: "0",
      prompt: "Names: Qwen",
      "timestamp_granularities[]": ["segment", "word"]
    }, audio)
    expect(reply.status, reply.text).toBe(200)
    const body = reply.json
    expect(body.task).toBe("transcribe")
    expect(body.language).toBe("english")
    expect(body.duration).toBe(3)
    expect(body.usage).toEqual({ type: "duration", seconds: 3 })
    expect(body.segments.length).toBeGreaterThan(0)
    expect(body.segments[0]).toMatchObject({ id: 0, seek: 0, start: expect.any(Number), end: expect.any(Number) })
    expect(body.segments.map((s: any) => s.text.trim()).join(" ")).toBe(body.text)
    expect(body.words.length).toBeGreaterThan(body.segments.length)
    expect(body.words.every((w: any) => w.start <= w.end && w.end <= 3)).toBe(true)
    expect(reply.headers.get("x-ratelimit-limit-requests")).toBe("100")
    expect(reply.headers.get("x-ratelimit-remaining-requests")).toBe("99")
    expect(reply.headers.get("x-ratelimit-reset-requests")).toBe("600ms")
    const report = await emulator.report()
    expect(report.violations).toEqual([])
    expect(report.counts["transcriptions 200"]).toBe(1)
  })

  it("answers json, text and srt; segments only by default in verbose_json", async () => {
    const json = await api.transcribe({ model: "whisper-1" }, audio)
    expect(Object.keys(json.json)).toEqual(["text", "usage"])
    const text = await api.transcribe({ model: "whisper-1", response_format: "text" }, audio)
    expect(text.text).toBe(`${json.json.text}\n`)
    const srt = await api.transcribe({ model: "whisper-1", response_format: "srt" }, audio)
    expect(srt.text).toMatch(/^1\n00:00:00,\d{3} --> 00:00:\d\d,\d{3}\n/)
    const verbose = await api.transcribe({ model: "whisper-1", response_format: "verbose_json" }, audio)
    expect(verbose.json.segments.length).toBeGreaterThan(0)
    expect(verbose.json.words).toBeUndefined()
  })

  it("refuses timestamp_granularities without verbose_json, naming the parameter", async () => {
    const reply = await api.transcribe({ model: "whisper-1", "timestamp_granularities[]": "word" }, audio)
    expect(reply.status).toBe(400)
    expect(reply.json.error).toMatchObject({ type: "invalid_request_error", param: "timestamp_granularities" })
    expect((await emulator.report()).violations.map((v) => v.rule)).toEqual(["invalid_parameter"])
  })

  it("answers 404 model_not_found for a model it does not serve, and 401 in the OpenAI envelope", async () => {
    const missing = await api.transcribe({ model: "whisper-9" }, audio)
    expect([missing.status, missing.json.error.code]).toEqual([404, "model_not_found"])
    const form = new FormData()
    form.append("model", "whisper-1")
    const anonymous = await fetch(`${emulator.origin}/v1/audio/transcriptions`, { method: "POST", body: form })
    expect(anonymous.status).toBe(401)
    expect((await anonymous.json()).error).toEqual({
      message: "Incorrect API key provided.",
      type: "invalid_request_error",
      param: null,
      code: "invalid_api_key"
    })
  })

  it("refuses a request over the size limit with 413 and records that the client sent it", async () => {
    const reply = await api.transcribe({ model: "whisper-1" }, { name: "big.wav", bytes: wav(10) })
    expect(reply.status).toBe(413)
    expect(reply.json.error.message).toMatch(/^Maximum content size limit \(200000\) exceeded/)
    expect((await emulator.report()).violations.map((v) => v.rule)).toEqual(["file_too_large"])
  })

  it("answers 429 with Retry-After and x-ratelimit-* once a model's budget is spent", async () => {
    const replies = []
    for (let i = 0; i < 3; i++) replies.push(await api.transcribe({ model: "whisper-large-v3" }, audio))
    expect(replies.map((r) => r.status)).toEqual([200, 200, 429])
    const limited = replies[2]!
    expect(limited.json.error).toMatchObject({ code: "rate_limit_exceeded", type: "requests" })
    expect(limited.headers.get("retry-after")).toBe("7")
    expect(limited.headers.get("x-ratelimit-limit-requests")).toBe("2")
    expect(limited.headers.get("x-ratelimit-remaining-requests")).toBe("0")
    await emulator.advance(30_000)
    expect((await api.transcribe({ model: "whisper-large-v3" }, audio)).status).toBe(200)
  })

  it("puts a throttle fault in the OpenAI envelope", async () => {
    await emulator.setConfig({ faults: [{ endpoint: "transcriptions", kind: "throttle", at: [1], retry_after_s: 2 }] })
    const reply = await api.transcribe({ model: "whisper-1" }, audio)
    expect(reply.status).toBe(429)
    expect(reply.headers.get("retry-after")).toBe("2")
    expect(reply.json.error.code).toBe("rate_limit_exceeded")
    await emulator.setConfig({ faults: [] })
  })
})

describe("GET /v1/models", () => {
  it("lists the served models", async () => {
    const reply = await request(`${emulator.origin}/v1/models`, {
      headers: { authorization: `Bearer ${emulator.apiKey}` }
    })
    expect(reply.status).toBe(200)
    expect(reply.json.object).toBe("list")
    expect(reply.json.data.map((m: any) => m.id)).toContain("whisper-1")
  })
})
