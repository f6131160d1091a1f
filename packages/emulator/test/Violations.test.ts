import { Report, startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dataUri, wav } from "./utils/audio.js"
import { client, compatBody, nativeBody, request } from "./utils/http.js"
import { sdkForm } from "./utils/oss.js"

let emulator: StartedEmulator
let api: ReturnType<typeof client>
let ossUrl = ""

const small = dataUri(wav(0.2, { rate: 8000 }))
const OSS = { "x-dashscope-ossresourceresolve": "enable" }

const upload = async (model: string, name: string, extra: Record<string, string> = {}, headers = {}) => {
  const { data } = (await api.policy(model)).json
  const body = sdkForm(data, name, wav(0.2, { rate: 8000 }), extra)
  const response = await fetch(data.upload_host, { method: "POST", body, headers })
  expect(response.status).toBe(200)
  return `oss://${data.upload_dir}/${name}`
}

/** One minimal request per rule; each must record exactly that rule. oss_expired moves the clock, so it is last. */
const cases: Array<[Report.Rule, () => Promise<unknown>]> = [
  ["unknown_key", () => api.compatible(compatBody(small, { temperature: 0 }))],
  ["paraformer_param", () => api.compatible(compatBody(small, { asr_options: { vocabulary_id: "v" } }))],
  [
    "stream_options_without_stream",
    () => api.compatible(compatBody(small, { stream_options: { include_usage: true } }))
  ],
  [
    "missing_async_header",
    () => api.submit({ model: "qwen3-asr-flash-filetrans", input: { file_url: "http://127.0.0.1:9/a.wav" } }, {})
  ],
  ["async_header_on_sync", () => api.native(nativeBody(small), { "x-dashscope-async": "enable" })],
  ["missing_oss_resolve_header", () => api.compatible(compatBody(ossUrl))],
  ["oss_model_mismatch", () => api.compatible(compatBody(ossUrl, {}, "qwen3-asr-flash-2025-09-08"), OSS)],
  ["oss_not_found", () => api.compatible(compatBody(`${ossUrl}.missing`), OSS)],
  ["mime_mismatch", () => api.compatible(compatBody(dataUri(wav(0.2, { rate: 8000 }), "audio/mpeg")))],
  ["key_leak", () => upload("qwen3-asr-flash", "leak.wav", {}, { authorization: `Bearer ${emulator.apiKey}` })],
  ["file_urls_on_qwen3", () =>
    api.submit({
      model: "qwen3-asr-flash-filetrans",
      input: { file_url: "http://127.0.0.1:9/a.wav", file_urls: ["http://127.0.0.1:9/a.wav"] }
    })],
  ["system_message_not_first", () => {
    const body = compatBody(small)
    body.messages.push({ role: "system", content: "context" } as never)
    return api.compatible(body)
  }],
  ["multiple_system_messages", () => {
    const body = compatBody(small)
    body.messages.unshift({ role: "system", content: "a" } as never, { role: "system", content: "b" } as never)
    return api.compatible(body)
  }],
  ["multiple_content_items", () => {
    const body = compatBody(small)
    body.messages[0]!.content.push({ type: "input_audio", input_audio: { data: small } })
    return api.compatible(body)
  }],
  ["invalid_message", () => api.compatible({ model: "qwen3-asr-flash", messages: [] })],
  ["messages_outside_input", () => api.native({ model: "qwen3-asr-flash", messages: [] })],
  [
    "sync_model_on_async_path",
    () => api.submit({ model: "qwen3-asr-flash", input: { file_url: "http://127.0.0.1:9/a.wav" } })
  ],
  ["filetrans_model_on_sync_path", () => api.native(nativeBody(small, undefined, "qwen3-asr-flash-filetrans"))],
  ["model_not_on_compatible_mode", () => api.compatible(compatBody(small, {}, "qwen3-asr-flash-us"))],
  ["unknown_model", () => api.compatible(compatBody(small, {}, "qwen-max"))],
  ["invalid_audio_url", () => api.compatible(compatBody("/home/me/a.wav"))],
  ["data_uri_too_large", () => api.compatible(compatBody(dataUri(wav(2, { rate: 8000 }))))],
  ["audio_too_long", () => api.compatible(compatBody(dataUri(wav(1, { rate: 8000 }))))],
  ["unsupported_format", () => api.compatible(compatBody(dataUri(Buffer.from("definitely not audio"))))],
  ["invalid_parameter", () => api.compatible(compatBody(small, { asr_options: { language: "xx" } }))],
  ["invalid_json", () => api.compatible("{")],
  ["upload_form", () => upload("qwen3-asr-flash", "extra.wav", { "x-oss-meta-owner": "me" })],
  ["file_url_on_batch", () =>
    api.submit({
      model: "paraformer-v2",
      input: { file_url: "http://127.0.0.1:9/a.wav", file_urls: ["http://127.0.0.1:9/a.wav"] }
    })],
  ["qwen_param", () =>
    api.submit({
      model: "paraformer-v2",
      input: { file_urls: ["http://127.0.0.1:9/a.wav"] },
      parameters: { enable_itn: true }
    })],
  ["param_not_for_model", () =>
    api.submit({
      model: "paraformer-8k-v2",
      input: { file_urls: ["http://127.0.0.1:9/a.wav"] },
      parameters: { language_hints: ["zh"] }
    })],
  ["too_many_files", () =>
    api.submit({
      model: "fun-asr",
      input: { file_urls: Array.from({ length: 101 }, (_, i) => `http://127.0.0.1:9/${i}.wav`) }
    })],
  ["unknown_vocabulary", () =>
    api.submit({
      model: "fun-asr",
      input: { file_urls: ["http://127.0.0.1:9/a.wav"] },
      parameters: { vocabulary_id: "my-words" }
    })],
  ["not_multipart", () =>
    request(`${emulator.origin}/v1/audio/transcriptions`, {
      headers: { authorization: `Bearer ${emulator.apiKey}`, "content-type": "application/json" },
      body: { model: "whisper-1" }
    })],
  ["file_too_large", () => api.transcribe({ model: "whisper-1" }, { name: "big.wav", bytes: wav(0.5) })],
  ["oss_expired", async () => {
    await emulator.advance(172_801_000)
    return api.compatible(compatBody(ossUrl), OSS)
  }]
]

beforeAll(async () => {
  emulator = await startEmulator({
    rate_limits: { enabled: false },
    max_data_uri_bytes: 30_000,
    max_sync_duration_s: 0.5,
    openai: { max_file_bytes: 4000 }
  })
  api = client(emulator)
  ossUrl = await upload("qwen3-asr-flash", "a.wav")
})

afterAll(() => emulator.close())

describe("violation rules", () => {
  it("covers every rule", () => {
    expect(cases.map(([rule]) => rule).sort()).toEqual([...Report.RULES].sort())
  })

  it("records nothing for valid requests", async () => {
    await emulator.reset()
    expect((await api.compatible(compatBody(small))).status).toBe(200)
    expect((await api.compatible(compatBody(ossUrl), OSS)).status).toBe(200)
    expect((await api.native(nativeBody(small, { incremental_output: true, result_format: "message" }))).status).toBe(
      200
    )
    const batchUrl = await upload("paraformer-v2", "b.wav")
    expect(
      (await api.submit({ model: "paraformer-v2", input: { file_urls: [batchUrl] } }, {
        "x-dashscope-async": "enable",
        ...OSS
      })).status
    ).toBe(200)
    expect(
      (await api.transcribe({ model: "whisper-1", response_format: "verbose_json" }, {
        name: "a.wav",
        bytes: wav(0.05, { rate: 8000 })
      })).status
    ).toBe(200)
    expect((await emulator.report()).violations).toEqual([])
  })

  for (const [rule, run] of cases) {
    it(`fires ${rule}`, async () => {
      await emulator.reset()
      await run()
      const { violations } = await emulator.report()
      expect(violations.map((v) => v.rule)).toEqual([rule])
      expect(violations[0]!.detail.length).toBeGreaterThan(0)
    })
  }
})
