import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { createHash } from "node:crypto"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { dataUri, wav } from "./utils/audio.js"
import {
  client,
  compatBody,
  compatEvents,
  nativeBody,
  nativeEvents,
  parked,
  request,
  serveFiles
} from "./utils/http.js"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const audio = wav(3.2)
const hash = createHash("sha256").update(audio).digest("hex")
const uri = dataUri(audio)

let emulator: StartedEmulator
let api: ReturnType<typeof client>
let server: Awaited<ReturnType<typeof serveFiles>>
let staticBase = ""

const rules = async () => (await emulator.report()).violations.map((v) => v.rule)

beforeAll(async () => {
  emulator = await startEmulator({
    clock: "manual",
    rate_limits: { enabled: false },
    transcripts: { [hash]: "你好，世界。今天天气很好！" }
  })
  api = client(emulator)
  server = await serveFiles({ "/a.wav": wav(1.5) })
  staticBase = server.base
})

afterAll(async () => {
  await emulator.close()
  await server.close()
})

beforeEach(() => emulator.reset())

describe("compatible mode", () => {
  it("answers a non-streaming request with the exact §2.2 shape", async () => {
    const reply = await api.compatible(compatBody(uri))
    expect(reply.status).toBe(200)
    expect(reply.headers.get("content-type")).toBe("application/json")
    expect(Object.keys(reply.json)).toEqual(["id", "object", "created", "model", "choices", "usage"])
    expect(reply.json.id).toMatch(/^chatcmpl-/)
    expect(reply.json.object).toBe("chat.completion")
    expect(typeof reply.json.created).toBe("number")
    expect(reply.json.choices).toEqual([{
      index: 0,
      finish_reason: "stop",
      message: {
        role: "assistant",
        content: "你好，世界。今天天气很好！",
        annotations: [{
          type: "audio_info",
          language: "zh",
          emotion: reply.json.choices[0].message.annotations[0].emotion
        }]
      }
    }])
    expect(reply.json.usage).toEqual({
      prompt_tokens: 100,
      prompt_tokens_details: { audio_tokens: 100, text_tokens: 0 },
      completion_tokens: reply.json.usage.completion_tokens,
      completion_tokens_details: { text_tokens: reply.json.usage.completion_tokens },
      total_tokens: 100 + reply.json.usage.completion_tokens,
      seconds: 4
    })
    expect(await rules()).toEqual([])
    expect((await emulator.report()).submissions_per_audio).toEqual({ [hash]: 1 })
  })

  it("is deterministic and echoes asr_options.language", async () => {
    const other = dataUri(wav(2, { tone: 300 }))
    const a = await api.compatible(compatBody(other))
    const b = await api.compatible(compatBody(other))
    expect(a.json.choices[0].message.content).toBe(b.json.choices[0].message.content)
    expect(a.json.choices[0].message.content.length).toBeGreaterThan(0)
    const c = await api.compatible(
      compatBody(other, { asr_options: { language: "fr", enable_itn: true, enable_lid: true } })
    )
    expect(c.json.choices[0].message.annotations[0].language).toBe("fr")
    expect(await rules()).toEqual([])
  })

  it("streams the exact §2.3 chunk sequence, with the usage chunk when asked", async () => {
    const reply = await api.compatible(compatBody(uri, { stream: true, stream_options: { include_usage: true } }))
    expect(reply.status).toBe(200)
    expect(reply.headers.get("content-type")).toBe("text/event-stream;charset=UTF-8")
    const events = compatEvents(reply.text)
    expect(events.at(-1)).toBe("[DONE]")
    const chunks = events.slice(0, -1)
    const id = chunks[0].id
    for (const chunk of chunks) {
      expect(chunk.id).toBe(id)
      expect(chunk.object).toBe("chat.completion.chunk")
      expect(chunk.model).toBe("qwen3-asr-flash")
    }
    expect(chunks[0]).toMatchObject({
      usage: null,
      choices: [{ index: 0, logprobs: null, delta: { content: "", role: "assistant" } }]
    })
    const content = chunks.slice(1, -2)
    expect(content.length).toBeGreaterThan(1)
    for (const chunk of content) {
      expect(chunk.usage).toBeNull()
      expect(chunk.choices[0].delta.role).toBeNull()
      expect(chunk.choices[0].delta.annotations).toEqual([
        { type: "audio_info", language: "zh", emotion: expect.any(String) }
      ])
    }
    expect(content.map((c) => c.choices[0].delta.content).join("")).toBe("你好，世界。今天天气很好！")
    expect(chunks.at(-2)).toMatchObject({
      usage: null,
      choices: [{ index: 0, delta: { role: null }, finish_reason: "stop" }]
    })
    expect(chunks.at(-1).choices).toEqual([])
    expect(chunks.at(-1).usage.seconds).toBe(4)
    expect(chunks.at(-1).usage.prompt_tokens_details.audio_tokens).toBe(100)
  })

  it("streams without the usage chunk by default", async () => {
    const events = compatEvents((await api.compatible(compatBody(uri, { stream: true }))).text)
    expect(events.at(-2).choices[0].finish_reason).toBe("stop")
    expect(events.every((e) => e === "[DONE]" || e.usage === null)).toBe(true)
  })

  it("paces SSE events with latency_ms.stream_chunk", async () => {
    const events = compatEvents((await api.compatible(compatBody(uri, { stream: true }))).text).length
    expect(events).toBeGreaterThan(2)
    await emulator.setConfig({ latency_ms: { stream_chunk: 40 } })
    try {
      const response = await fetch(`${emulator.compatibleBaseUrl}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${emulator.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(compatBody(uri, { stream: true }))
      })
      const text = response.text()
      // every event after the first waits 40 ms of emulator time: 39 ms does not release it, 40 ms does
      for (let pause = 1; pause < events; pause++) {
        await parked(emulator, 1)
        await emulator.advance(39)
        expect((await emulator.report()).clock_waiters).toBe(1)
        await emulator.advance(1)
      }
      expect(compatEvents(await text).length).toBe(events)
      expect((await emulator.report()).clock_waiters).toBe(0)
    } finally {
      await emulator.setConfig({ latency_ms: { stream_chunk: 0 } })
    }
  })

  it("accepts the three system-message shapes and counts context tokens", async () => {
    for (const content of ["Terms: Effect", [{ text: "Terms: Effect" }], [{ type: "text", text: "Terms: Effect" }]]) {
      const body = compatBody(uri)
      body.messages.unshift({ role: "system", content } as never)
      const reply = await api.compatible(body)
      expect(reply.status).toBe(200)
      expect(reply.json.usage.prompt_tokens_details.text_tokens).toBeGreaterThan(0)
    }
    expect(await rules()).toEqual([])
  })

  it("fetches http audio from 127.0.0.1 and keys submissions by URL", async () => {
    const reply = await api.compatible(compatBody(`${staticBase}/a.wav`))
    expect(reply.status).toBe(200)
    expect(reply.json.usage.seconds).toBe(2)
    expect((await emulator.report()).submissions_per_audio).toEqual({ [`${staticBase}/a.wav`]: 1 })
  })

  it("answers 415 download failure for other hosts and missing files", async () => {
    for (const url of ["https://example.com/a.wav", `${staticBase}/missing.wav`]) {
      const reply = await api.compatible(compatBody(url))
      expect(reply.status).toBe(415)
      expect(reply.json).toEqual({
        error: {
          code: "invalid_parameter_error",
          param: null,
          message: "<415> BadRequest.InputDownloadFailed: Failed to download the input file.",
          type: "invalid_request_error"
        },
        id: expect.stringMatching(/^chatcmpl-/),
        request_id: expect.stringMatching(UUID)
      })
    }
  })

  it("rejects a bad key with the compatible 401 body", async () => {
    const reply = await request(`${emulator.compatibleBaseUrl}/chat/completions`, {
      body: compatBody(uri),
      headers: { authorization: "Bearer sk-wrong", "content-type": "application/json" }
    })
    expect(reply.status).toBe(401)
    expect(reply.json.error).toEqual({
      code: "invalid_api_key",
      param: null,
      message:
        "Incorrect API key provided. For details, see: https://help.aliyun.com/zh/model-studio/error-code#apikey-error",
      type: "invalid_request_error"
    })
    const missing = await request(`${emulator.compatibleBaseUrl}/chat/completions`, { body: compatBody(uri) })
    expect(missing.status).toBe(401)
  })

  it("records unknown keys and paraformer parameters but still answers", async () => {
    const reply = await api.compatible(
      compatBody(uri, { temperature: 0.2, asr_options: { language: "zh", vocabulary_id: "v1", foo: 1 } })
    )
    expect(reply.status).toBe(200)
    const { violations } = await emulator.report()
    expect(violations).toEqual([
      { rule: "unknown_key", endpoint: "compatible", detail: "body.temperature" },
      {
        rule: "paraformer_param",
        endpoint: "compatible",
        detail: "asr_options.vocabulary_id is a Paraformer/Fun-ASR parameter"
      },
      { rule: "unknown_key", endpoint: "compatible", detail: "asr_options.foo" }
    ])
  })

  it("flags every paraformer-only parameter", async () => {
    const params = [
      "vocabulary_id",
      "disfluency_removal_enabled",
      "language_hints",
      "timestamp_alignment_enabled",
      "diarization_enabled"
    ]
    for (const param of params) {
      expect((await api.compatible(compatBody(uri, { asr_options: { [param]: true } }))).status).toBe(200)
    }
    expect(await rules()).toEqual(params.map(() => "paraformer_param"))
  })

  it("rejects stream_options without stream", async () => {
    const reply = await api.compatible(compatBody(uri, { stream_options: { include_usage: true } }))
    expect(reply.status).toBe(400)
    expect(reply.json.error.code).toBe("invalid_parameter_error")
    expect(reply.json.error.message).toBe(
      "<400> InvalidParameter: The parameter stream_options is only allowed when stream is true."
    )
    expect(await rules()).toEqual(["stream_options_without_stream"])
  })

  it("enforces the message rules", async () => {
    const twoItems = compatBody(uri)
    twoItems.messages[0]!.content.push({ type: "input_audio", input_audio: { data: uri } })
    expect((await api.compatible(twoItems)).status).toBe(400)

    const twoSystems = compatBody(uri)
    twoSystems.messages.unshift({ role: "system", content: "a" } as never, { role: "system", content: "b" } as never)
    expect((await api.compatible(twoSystems)).status).toBe(400)

    const systemLast = compatBody(uri)
    systemLast.messages.push({ role: "system", content: "context" } as never)
    expect((await api.compatible(systemLast)).status).toBe(200)

    expect((await api.compatible({ model: "qwen3-asr-flash", messages: [] })).status).toBe(400)
    expect((await api.compatible("{not json")).status).toBe(400)
    expect(await rules()).toEqual([
      "multiple_content_items",
      "multiple_system_messages",
      "system_message_not_first",
      "invalid_message",
      "invalid_json"
    ])
  })

  it("routes models per the matrix", async () => {
    const filetrans = await api.compatible(compatBody(uri, {}, "qwen3-asr-flash-filetrans"))
    expect(filetrans.status).toBe(400)
    const us = await api.compatible(compatBody(uri, {}, "qwen3-asr-flash-us"))
    expect(us.status).toBe(400)
    const qwenAudio = await api.compatible(compatBody(uri, {}, "qwen-audio-asr"))
    expect(qwenAudio.status).toBe(400)
    const unknown = await api.compatible(compatBody(uri, {}, "gpt-4o"))
    expect(unknown.status).toBe(404)
    expect(unknown.json.error.code).toBe("model_not_found")
    const snapshot = await api.compatible(compatBody(uri, {}, "qwen3-asr-flash-2026-02-10"))
    expect(snapshot.status).toBe(200)
    expect(snapshot.json.model).toBe("qwen3-asr-flash-2026-02-10")
    expect(await rules()).toEqual([
      "filetrans_model_on_sync_path",
      "model_not_on_compatible_mode",
      "model_not_on_compatible_mode",
      "unknown_model"
    ])
  })

  it("rejects invalid asr_options values", async () => {
    expect((await api.compatible(compatBody(uri, { asr_options: { language: "xx" } }))).status).toBe(400)
    expect((await api.compatible(compatBody(uri, { asr_options: { enable_itn: "yes" } }))).status).toBe(400)
    expect(await rules()).toEqual(["invalid_parameter", "invalid_parameter"])
  })

  it("treats a null asr_options as absent, and takes a boolean parameters.stream on native", async () => {
    expect((await api.compatible(compatBody(uri, { asr_options: null }))).status).toBe(200)
    expect((await api.native(nativeBody(uri, { asr_options: null, stream: false }))).status).toBe(200)
    expect((await api.native(nativeBody(uri, { stream: "yes" }))).status).toBe(400)
    expect((await api.native(nativeBody(uri, { asr_options: "zh" }))).status).toBe(400)
    expect(await rules()).toEqual([])
  })

  it("rejects unsupported URL schemes", async () => {
    const reply = await api.compatible(compatBody("file:///tmp/a.wav"))
    expect(reply.status).toBe(400)
    expect(reply.json.error.message).toBe(
      "<400> InvalidParameter: The provided URL does not appear to be valid. Ensure it is correctly formatted."
    )
    expect(await rules()).toEqual(["invalid_audio_url"])
  })

  it("answers 404 for unknown paths in the right envelope", async () => {
    const reply = await request(`${emulator.origin}/api/v1/nope`, {
      headers: { authorization: `Bearer ${emulator.apiKey}` }
    })
    expect(reply.status).toBe(404)
    expect(reply.json.code).toBe("NotFound")
    const compat = await request(`${emulator.compatibleBaseUrl}/audio/transcriptions`, { body: {} })
    expect(compat.status).toBe(404)
    expect(compat.json.error.code).toBe("not_found")
    expect(await rules()).toEqual([])
    expect((await emulator.report()).counts).toEqual({ "unknown 404": 2 })
  })
})

describe("native", () => {
  it("answers with the exact §3.2 shape", async () => {
    const reply = await api.native(nativeBody(uri, { asr_options: { language: "zh" }, result_format: "message" }))
    expect(reply.status).toBe(200)
    expect(reply.json).toEqual({
      request_id: expect.stringMatching(UUID),
      output: {
        choices: [{
          finish_reason: "stop",
          message: {
            role: "assistant",
            content: [{ text: "你好，世界。今天天气很好！" }],
            annotations: [{ type: "audio_info", language: "zh", emotion: expect.any(String) }]
          }
        }]
      },
      usage: {
        input_tokens_details: { text_tokens: 0 },
        output_tokens_details: { text_tokens: reply.json.usage.output_tokens_details.text_tokens },
        seconds: 4
      }
    })
    expect(reply.headers.get("x-request-id")).toBe(reply.json.request_id)
    expect(await rules()).toEqual([])
  })

  it("accepts the system message before or after the user message", async () => {
    const body = nativeBody(uri)
    body.input.messages.push({ role: "system", content: [{ text: "Effect" }] } as never)
    expect((await api.native(body)).status).toBe(200)
    expect(await rules()).toEqual([])
  })

  it("streams DashScope SSE: incremental pieces, finish_reason \"null\" then \"stop\", no [DONE]", async () => {
    const reply = await api.native(nativeBody(uri, { incremental_output: true }), { "x-dashscope-sse": "enable" })
    expect(reply.status).toBe(200)
    expect(reply.text).not.toContain("[DONE]")
    expect(reply.text.startsWith("id:1\nevent:result\n:HTTP_STATUS/200\ndata:{")).toBe(true)
    const events = nativeEvents(reply.text)
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => String(i + 1)))
    expect(events.every((e) => e.event === "result" && e.status === "200")).toBe(true)
    const reasons = events.map((e) => e.data.output.choices[0].finish_reason)
    expect(reasons.at(-1)).toBe("stop")
    expect(reasons.slice(0, -1).every((r) => r === "null")).toBe(true)
    expect(events.map((e) => e.data.output.choices[0].message.content[0].text).join("")).toBe(
      "你好，世界。今天天气很好！"
    )
    expect(events.every((e) => e.data.output.choices[0].message.annotations[0].type === "audio_info")).toBe(true)
    expect(new Set(events.map((e) => e.data.request_id)).size).toBe(1)
  })

  it("streams cumulative text without incremental_output", async () => {
    const events = nativeEvents((await api.native(nativeBody(uri), { "x-dashscope-sse": "enable" })).text)
    expect(events.at(-1)!.data.output.choices[0].message.content[0].text).toBe("你好，世界。今天天气很好！")
    expect(events.length).toBeGreaterThan(1)
  })

  it("answers stream errors with HTTP 200 and an error event", async () => {
    const reply = await api.native(nativeBody("ftp://x/a.wav"), { "x-dashscope-sse": "enable" })
    expect(reply.status).toBe(200)
    const [event] = nativeEvents(reply.text)
    expect(event).toEqual({
      id: "1",
      event: "error",
      status: "400",
      data: {
        code: "InvalidParameter",
        message: "The provided URL does not appear to be valid. Ensure it is correctly formatted.",
        request_id: expect.stringMatching(UUID)
      }
    })
  })

  it("rejects a bad key with the native 401 body", async () => {
    const reply = await request(`${emulator.nativeBaseUrl}/services/aigc/multimodal-generation/generation`, {
      body: nativeBody(uri),
      headers: { authorization: "Bearer nope" }
    })
    expect(reply.status).toBe(401)
    expect(reply.json).toEqual({
      code: "InvalidApiKey",
      message: "Invalid API-key provided.",
      request_id: expect.stringMatching(UUID)
    })
  })

  it("serves the -us and qwen-audio-asr models (no annotations, token usage for qwen-audio-asr)", async () => {
    const us = await api.native(nativeBody(uri, undefined, "qwen3-asr-flash-us"))
    expect(us.status).toBe(200)
    expect(us.json.output.choices[0].message.annotations).toBeDefined()
    const qa = await api.native(nativeBody(uri, undefined, "qwen-audio-asr"))
    expect(qa.status).toBe(200)
    expect(qa.json.output.choices[0].message.annotations).toBeUndefined()
    expect(qa.json.usage).toEqual({ input_tokens: 100, output_tokens: expect.any(Number), audio_tokens: 100 })
  })

  it("flags messages outside input, unknown parameters, paraformer parameters and filetrans models", async () => {
    const outside = await api.native({ model: "qwen3-asr-flash", messages: [] })
    expect(outside.status).toBe(400)
    expect(outside.json.code).toBe("InvalidParameter")
    const extra = await api.native(
      nativeBody(uri, { seed: 1, language_hints: ["zh"], asr_options: { disfluency_removal_enabled: true } })
    )
    expect(extra.status).toBe(200)
    const filetrans = await api.native(nativeBody(uri, undefined, "qwen3-asr-flash-filetrans"))
    expect(filetrans.status).toBe(400)
    const items = nativeBody(uri)
    items.input.messages[0]!.content.push({ audio: uri })
    expect((await api.native(items)).status).toBe(400)
    expect(await rules()).toEqual([
      "messages_outside_input",
      "unknown_key",
      "paraformer_param",
      "paraformer_param",
      "filetrans_model_on_sync_path",
      "multiple_content_items"
    ])
  })
})

describe("enable_itn", () => {
  it("turns spoken numbers into digits (en and zh) only when enabled", async () => {
    const { Transcripts } = await import("@asrflow/emulator")
    expect(Transcripts.itn("I bought twenty three apples and one hundred and five pears.")).toBe(
      "I bought 23 apples and 105 pears."
    )
    expect(Transcripts.itn("我有二十三个苹果，一千二百块钱。")).toBe("我有23个苹果，1200块钱。")
    const off = await api.compatible(compatBody(dataUri(wav(1, { tone: 555 }))))
    const on = await api.compatible(compatBody(dataUri(wav(1, { tone: 555 })), { asr_options: { enable_itn: true } }))
    expect(on.json.choices[0].message.content).toBe(Transcripts.itn(off.json.choices[0].message.content))
  })

  it("applies to configured transcripts", async () => {
    const bytes = wav(1.1)
    await emulator.setConfig({
      transcripts: { [createHash("sha256").update(bytes).digest("hex")]: "Call me at nine." }
    })
    const on = await api.native(nativeBody(dataUri(bytes), { asr_options: { enable_itn: true } }))
    expect(on.json.output.choices[0].message.content[0].text).toBe("Call me at 9.")
    const off = await api.native(nativeBody(dataUri(bytes)))
    expect(off.json.output.choices[0].message.content[0].text).toBe("Call me at nine.")
  })
})
