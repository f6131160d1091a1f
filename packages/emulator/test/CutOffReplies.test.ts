import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import * as http from "node:http"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { dataUri, wav } from "./utils/audio.js"
import { client, compatBody, nativeBody, until } from "./utils/http.js"
import { sdkForm } from "./utils/oss.js"

const audio = wav(1)
let emulator: StartedEmulator
let api: ReturnType<typeof client>
const OSS = { "x-dashscope-ossresourceresolve": "enable" }

/** What a raw HTTP client sees: the status, the declared length, the bytes that arrived, and how it ended. */
interface Raw {
  readonly status: number
  readonly declared: number
  readonly received: number
  readonly complete: boolean
  readonly body: string
}

const raw = (url: string, init: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string } = {}) =>
  new Promise<Raw>((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? "GET", headers: init.headers }, (res) => {
      const chunks: Array<Buffer> = []
      const done = () => {
        const body = Buffer.concat(chunks)
        resolve({
          status: res.statusCode ?? 0,
          declared: Number(res.headers["content-length"]),
          received: body.length,
          complete: res.complete,
          body: body.toString("utf8")
        })
      }
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", done)
      res.on("error", done)
      res.on("aborted", done)
    })
    req.on("error", reject)
    req.end(init.body)
  })

/** The SDK's upload form for `name`, as bytes with its content type. */
const uploadForm = async (model: string, name: string) => {
  const { data } = (await api.policy(model)).json
  const encoded = new Response(sdkForm(data, name, audio))
  return {
    url: data.upload_host as string,
    oss: `oss://${data.upload_dir}/${name}`,
    headers: { "content-type": encoded.headers.get("content-type")! },
    body: Buffer.from(await encoded.arrayBuffer())
  }
}

beforeAll(async () => {
  emulator = await startEmulator({ clock: "manual", rate_limits: { enabled: false } })
  api = client(emulator)
})

afterAll(() => emulator.close())

beforeEach(async () => {
  await emulator.setConfig({ faults: [] })
  await emulator.reset()
})

describe("an upload reply cut off after its headers", () => {
  it("answers 200 with a Content-Length it never delivers, and stores nothing", async () => {
    await emulator.setConfig({ faults: [{ endpoint: "upload", kind: "truncate", at: [1], truncate_at: 0 }] })
    const first = await uploadForm("qwen3-asr-flash", "a.wav")
    const cut = await raw(first.url, { method: "POST", headers: first.headers, body: first.body })
    expect(cut.status).toBe(200)
    expect(cut.declared).toBeGreaterThan(0)
    expect(cut.received).toBe(0)
    expect(cut.complete).toBe(false)
    // the object was not stored, so naming it is the resource-missing answer (and a client mistake)
    const used = await api.native(nativeBody(first.oss), OSS)
    expect(used.status).toBe(400)
    expect(used.json.message).toContain("The oss resource does not exist.")
    // the second upload is whole
    const second = await uploadForm("qwen3-asr-flash", "b.wav")
    const whole = await raw(second.url, { method: "POST", headers: second.headers, body: second.body })
    expect(whole).toMatchObject({ status: 200, received: 0, complete: true })
    expect((await api.native(nativeBody(second.oss), OSS)).status).toBe(200)
    const report = await emulator.report()
    expect(report.counts["upload truncated"]).toBe(1)
    expect(report.counts["upload 200"]).toBe(1)
    expect(report.uploads.map((u) => u.key.split("/").pop())).toEqual(["b.wav"])
    expect(report.violations.map((v) => v.rule)).toEqual(["oss_not_found"])
  })

  it("keeps the object with keep_object", async () => {
    await emulator.setConfig({
      faults: [{ endpoint: "upload", kind: "truncate", keep_object: true, truncate_at: 0.5 }]
    })
    const form = await uploadForm("qwen3-asr-flash", "kept.wav")
    const cut = await raw(form.url, { method: "POST", headers: form.headers, body: form.body })
    expect(cut.status).toBe(200)
    expect(cut.received).toBe(Math.floor(cut.declared * 0.5))
    expect(cut.complete).toBe(false)
    expect((await api.native(nativeBody(form.oss), OSS)).status).toBe(200)
  })
})

describe("a result document cut off mid-body", () => {
  it("sends half the JSON under the full Content-Length, then whole documents again", async () => {
    await emulator.setConfig({
      tasks: { pending_ms: 0, running_ms: 0 },
      faults: [{ endpoint: "result", kind: "truncate", at: [1] }]
    })
    const form = await uploadForm("qwen3-asr-flash-filetrans", "long.wav")
    await raw(form.url, { method: "POST", headers: form.headers, body: form.body })
    const submitted = await api.submit({ model: "qwen3-asr-flash-filetrans", input: { file_url: form.oss } }, {
      "x-dashscope-async": "enable",
      ...OSS
    })
    expect(submitted.status).toBe(200)
    let url = ""
    await until("the task to succeed", async () => {
      const task = (await api.task(submitted.json.output.task_id)).json.output
      url = task.result?.transcription_url ?? ""
      return task.task_status === "SUCCEEDED"
    })
    const cut = await raw(url)
    expect(cut.status).toBe(200)
    expect(cut.received).toBe(Math.floor(cut.declared / 2))
    expect(cut.complete).toBe(false)
    expect(() => JSON.parse(cut.body)).toThrow()
    const whole = await raw(url)
    expect(whole.complete).toBe(true)
    expect(whole.received).toBe(whole.declared)
    expect(JSON.parse(whole.body).transcripts[0].channel_id).toBe(0)
    const report = await emulator.report()
    expect(report.counts["result truncated"]).toBe(1)
    expect(report.faults).toEqual({ truncate: 1 })
    expect(report.violations).toEqual([])
  })

  it("cuts sync answers too", async () => {
    await emulator.setConfig({ faults: [{ endpoint: "compatible", kind: "truncate", at: [1] }] })
    await expect(api.compatible(compatBody(dataUri(audio)))).rejects.toThrow()
    expect((await api.compatible(compatBody(dataUri(audio)))).status).toBe(200)
  })
})

describe("an oss:// object that went missing", () => {
  it("answers the resource-missing 400 for the N-th request naming an oss:// object, without a violation", async () => {
    await emulator.setConfig({ faults: [{ endpoint: "*", kind: "oss_missing", at: [2] }] })
    const form = await uploadForm("qwen3-asr-flash", "gone.wav")
    await raw(form.url, { method: "POST", headers: form.headers, body: form.body })
    // data URIs do not count: only requests that name an oss:// object
    expect((await api.native(nativeBody(dataUri(audio)))).status).toBe(200)
    expect((await api.native(nativeBody(form.oss), OSS)).status).toBe(200)
    const missing = await api.native(nativeBody(form.oss), OSS)
    expect(missing.status).toBe(400)
    expect(missing.json).toEqual({
      code: "InvalidParameter",
      message:
        "The provided URL does not appear to be valid. Ensure it is correctly formatted. The oss resource does not exist.",
      request_id: expect.any(String)
    })
    let report = await emulator.report()
    expect(report.faults).toEqual({ oss_missing: 1 })
    expect(report.violations).toEqual([])
    // the object is gone for good: a client that names it again made a mistake
    expect((await api.native(nativeBody(form.oss), OSS)).status).toBe(400)
    report = await emulator.report()
    expect(report.violations.map((v) => v.rule)).toEqual(["oss_not_found"])
  })

  it("also hits async submits", async () => {
    await emulator.setConfig({ faults: [{ endpoint: "submit", kind: "oss_missing", at: [1] }] })
    const form = await uploadForm("qwen3-asr-flash-filetrans", "gone.wav")
    await raw(form.url, { method: "POST", headers: form.headers, body: form.body })
    const before = (await emulator.report()).tasks.submitted
    const submitted = await api.submit({ model: "qwen3-asr-flash-filetrans", input: { file_url: form.oss } }, {
      "x-dashscope-async": "enable",
      ...OSS
    })
    expect(submitted.status).toBe(400)
    expect(submitted.json.message).toContain("The oss resource does not exist.")
    const report = await emulator.report()
    expect(report.tasks.submitted).toBe(before)
    expect(report.faults).toEqual({ oss_missing: 1 })
  })
})
