import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { createHash } from "node:crypto"
import * as http from "node:http"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { wav, wavHeader } from "./utils/audio.js"
import { client, compatBody, nativeBody, request, until } from "./utils/http.js"
import type { PolicyData } from "./utils/oss.js"
import { sdkForm } from "./utils/oss.js"

let emulator: StartedEmulator
let api: ReturnType<typeof client>

const policyFor = async (model: string): Promise<PolicyData> => {
  const reply = await api.policy(model)
  expect(reply.status).toBe(200)
  return reply.json.data
}

const upload = async (policy: PolicyData, name: string, bytes: Buffer, overrides = {}, headers = {}) => {
  const response = await fetch(policy.upload_host, {
    method: "POST",
    body: sdkForm(policy, name, bytes, overrides),
    headers
  })
  return { status: response.status, text: await response.text() }
}

const settle = async (id: string) => {
  let reply: any
  await until(`task ${id} to finish`, async () => {
    reply = (await api.task(id)).json
    return reply.output.task_status !== "RUNNING" && reply.output.task_status !== "PENDING"
  })
  return reply
}

beforeAll(async () => {
  emulator = await startEmulator({
    rate_limits: { enabled: false },
    tasks: { pending_ms: 0, running_ms: 0 }
  })
  api = client(emulator)
})

afterAll(() => emulator.close())

beforeEach(() => emulator.reset())

describe("getPolicy", () => {
  it("returns the data{…} policy of §6", async () => {
    const reply = await api.policy("qwen3-asr-flash")
    expect(reply.status).toBe(200)
    expect(Object.keys(reply.json)).toEqual(["request_id", "data"])
    const data = reply.json.data
    expect(data).toEqual({
      policy: expect.any(String),
      signature: expect.any(String),
      upload_dir: expect.stringMatching(/^dashscope-instant\/[0-9a-f]{32}\/\d{4}-\d{2}-\d{2}\/[0-9a-f-]{36}$/),
      upload_host: `${emulator.origin}/__oss/upload`,
      expire_in_seconds: 300,
      max_file_size_mb: 1024,
      capacity_limit_mb: 999999999,
      oss_access_key_id: expect.stringMatching(/^LTAI5t/),
      x_oss_object_acl: "private",
      x_oss_forbid_overwrite: "true"
    })
    const decoded = JSON.parse(Buffer.from(data.policy, "base64").toString("utf8"))
    expect(decoded.conditions).toEqual([
      ["content-length-range", 0, 1073741824],
      ["starts-with", "$key", data.upload_dir],
      { bucket: "dashscope-file-mgr" },
      { "x-oss-object-acl": "private" },
      { "x-oss-forbid-overwrite": "true" }
    ])
    expect(Date.parse(decoded.expiration)).toBeGreaterThan(Date.now())
  })

  it("validates action, model and auth", async () => {
    const noAction = await request(`${emulator.nativeBaseUrl}/uploads?model=qwen3-asr-flash`, {
      headers: { authorization: `Bearer ${emulator.apiKey}` }
    })
    expect(noAction.status).toBe(400)
    expect(noAction.json.code).toBe("InvalidParameter")
    expect((await api.policy("whisper-1")).status).toBe(404)
    expect((await request(`${emulator.nativeBaseUrl}/uploads?action=getPolicy&model=qwen3-asr-flash`)).status).toBe(401)
  })
})

describe("OSS form upload", () => {
  it("stores the file (200, empty body) and records it", async () => {
    const policy = await policyFor("qwen3-asr-flash")
    const bytes = wav(1)
    const reply = await upload(policy, "a.wav", bytes)
    expect(reply).toEqual({ status: 200, text: "" })
    const report = await emulator.report()
    expect(report.uploads).toEqual([{
      key: `${policy.upload_dir}/a.wav`,
      bytes: bytes.length,
      model: "qwen3-asr-flash"
    }])
    expect(report.violations).toEqual([])
  })

  it("forbids overwrite with 409 FileAlreadyExists", async () => {
    const policy = await policyFor("qwen3-asr-flash")
    expect((await upload(policy, "same.wav", wav(1))).status).toBe(200)
    const again = await upload(policy, "same.wav", wav(1))
    expect(again.status).toBe(409)
    expect(again.text).toContain("<Code>FileAlreadyExists</Code>")
  })

  it("enforces the signature, the upload_dir prefix, the access key id and the policy expiry", async () => {
    const policy = await policyFor("qwen3-asr-flash")
    const badSig = await upload(policy, "b.wav", wav(1), { Signature: "AAAA" })
    expect(badSig.status).toBe(403)
    expect(badSig.text).toContain("<Code>SignatureDoesNotMatch</Code>")
    const outside = await upload(policy, "b.wav", wav(1), { key: "elsewhere/b.wav" })
    expect(outside.status).toBe(403)
    expect(outside.text).toContain("<Code>AccessDenied</Code>")
    expect(outside.text).toContain("starts-with")
    const badAk = await upload(policy, "b.wav", wav(1), { OSSAccessKeyId: "LTAI5tNOPE" })
    expect(badAk.status).toBe(403)
    expect(badAk.text).toContain("<Code>InvalidAccessKeyId</Code>")
    await emulator.advance(301_000)
    const expired = await upload(policy, "b.wav", wav(1))
    expect(expired.status).toBe(403)
    expect(expired.text).toContain("Policy expired.")
  })

  it("records missing SDK fields, unexpected fields and key leaks", async () => {
    const policy = await policyFor("qwen3-asr-flash")
    const reply = await upload(policy, "c.wav", wav(1), { success_action_status: undefined, "x-oss-meta-foo": "1" }, {
      authorization: `Bearer ${emulator.apiKey}`
    })
    expect(reply.status).toBe(204)
    const report = await emulator.report()
    expect(report.key_leaks).toBe(1)
    expect(report.violations.map((v) => v.rule).sort()).toEqual(["key_leak", "upload_form", "upload_form"])
    const missing = await upload(policy, "d.wav", wav(1), { policy: undefined })
    expect(missing.status).toBe(403)
  })
})

describe("upload size", () => {
  it("refuses a file over the policy's size limit with 400 EntityTooLarge and stores nothing", async () => {
    await emulator.setConfig({ max_upload_bytes: 10_000 })
    try {
      const policy = await policyFor("qwen3-asr-flash")
      const decoded = JSON.parse(Buffer.from(policy.policy, "base64").toString("utf8"))
      expect(decoded.conditions[0]).toEqual(["content-length-range", 0, 10_000])
      const reply = await upload(policy, "big.wav", wav(1))
      expect(reply.status).toBe(400)
      expect(reply.text).toContain("<Code>EntityTooLarge</Code>")
      expect((await emulator.report()).uploads).toEqual([])
      expect((await upload(policy, "big.wav", wav(0.1))).status).toBe(200)
    } finally {
      await emulator.setConfig({ max_upload_bytes: 1024 * 1024 * 1024 })
    }
  })
})

describe("oss:// URLs", () => {
  it("resolve only with the header, only for the uploading model, and only within 48 h", async () => {
    const policy = await policyFor("qwen3-asr-flash")
    await upload(policy, "e.wav", wav(2))
    const url = `oss://${policy.upload_dir}/e.wav`
    const ok = await api.compatible(compatBody(url), { "x-dashscope-ossresourceresolve": "enable" })
    expect(ok.status).toBe(200)
    expect(ok.json.usage.seconds).toBe(2)
    const native = await api.native(nativeBody(url), { "x-dashscope-ossresourceresolve": "enable" })
    expect(native.status).toBe(200)

    const noHeader = await api.compatible(compatBody(url))
    expect(noHeader.status).toBe(400)
    const otherModel = await api.compatible(compatBody(url, {}, "qwen3-asr-flash-2026-02-10"), {
      "x-dashscope-ossresourceresolve": "enable"
    })
    expect(otherModel.status).toBe(403)
    const missing = await api.compatible(compatBody(`oss://${policy.upload_dir}/nope.wav`), {
      "x-dashscope-ossresourceresolve": "enable"
    })
    expect(missing.status).toBe(400)
    await emulator.advance(48 * 3600 * 1000 + 1000)
    const expired = await api.compatible(compatBody(url), { "x-dashscope-ossresourceresolve": "enable" })
    expect(expired.status).toBe(400)
    expect(expired.json.error.message).toContain("expired")
    expect((await emulator.report()).violations.map((v) => v.rule)).toEqual([
      "missing_oss_resolve_header",
      "oss_model_mismatch",
      "oss_not_found",
      "oss_expired"
    ])
  })

  it("feed async tasks, keyed by content hash", async () => {
    const policy = await policyFor("qwen3-asr-flash-filetrans")
    const bytes = wav(4)
    await upload(policy, "long.wav", bytes)
    const url = `oss://${policy.upload_dir}/long.wav`
    const submitted = await api.submit({ model: "qwen3-asr-flash-filetrans", input: { file_url: url } }, {
      "x-dashscope-async": "enable",
      "x-dashscope-ossresourceresolve": "enable"
    })
    expect(submitted.status).toBe(200)
    const without = await api.submit({ model: "qwen3-asr-flash-filetrans", input: { file_url: url } })
    expect(without.status).toBe(400)
    await emulator.advance(1000)
    const done = await settle(submitted.json.output.task_id)
    expect(done.output.task_status).toBe("SUCCEEDED")
    expect(done.usage.seconds).toBe(4)
    const doc = (await request(done.output.result.transcription_url)).json
    expect(doc.file_url).toBe(url)
    const report = await emulator.report()
    expect(report.submissions_per_audio).toEqual({ [createHash("sha256").update(bytes).digest("hex")]: 1 })
    expect(report.violations.map((v) => v.rule)).toEqual(["missing_oss_resolve_header"])
  })
})

describe("streaming", () => {
  it("stores a 512 MB upload with peak RSS growth under 100 MB", async () => {
    const policy = await policyFor("qwen3-asr-flash-filetrans")
    const size = 512 * 1024 * 1024
    const boundary = "----emulator-test-boundary"
    const fields: Record<string, string> = {
      OSSAccessKeyId: policy.oss_access_key_id,
      Signature: policy.signature,
      policy: policy.policy,
      key: `${policy.upload_dir}/big.wav`,
      "x-oss-object-acl": "private",
      "x-oss-forbid-overwrite": "true",
      success_action_status: "200"
    }
    let head = ""
    for (const [name, value] of Object.entries(fields)) {
      head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
    }
    head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n` +
      "Content-Type: audio/wav\r\n\r\n"
    const tail = `\r\n--${boundary}--\r\n`
    const header = wavHeader(size - 44)
    const chunk = Buffer.alloc(1024 * 1024)

    global.gc?.()
    const baseline = process.memoryUsage().rss
    let peak = baseline
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
    }, 5)

    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(policy.upload_host, {
        method: "POST",
        headers: {
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": Buffer.byteLength(head) + size + Buffer.byteLength(tail)
        }
      }, (res) => {
        res.resume()
        res.on("end", () => resolve(res.statusCode ?? 0))
      })
      req.on("error", reject)
      req.write(head)
      req.write(header)
      let sent = 44
      const pump = () => {
        while (sent < size) {
          const n = Math.min(chunk.length, size - sent)
          sent += n
          if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once("drain", pump)
        }
        req.end(tail)
      }
      pump()
    })
    clearInterval(sampler)
    expect(status).toBe(200)
    const growthMb = (peak - baseline) / (1024 * 1024)
    console.log(`512 MB upload: peak RSS growth ${growthMb.toFixed(1)} MB`)
    expect(growthMb).toBeLessThan(100)
    const report = await emulator.report()
    expect(report.uploads).toEqual([{
      key: `${policy.upload_dir}/big.wav`,
      bytes: size,
      model: "qwen3-asr-flash-filetrans"
    }])

    const submitted = await api.submit({
      model: "qwen3-asr-flash-filetrans",
      input: { file_url: `oss://${policy.upload_dir}/big.wav` }
    }, { "x-dashscope-async": "enable", "x-dashscope-ossresourceresolve": "enable" })
    expect(submitted.status).toBe(200)
    await emulator.advance(1000)
    const done = await settle(submitted.json.output.task_id)
    expect(done.output.task_status).toBe("SUCCEEDED")
    expect(done.usage.seconds).toBe(Math.ceil((size - 44) / 32000))
  })
})
