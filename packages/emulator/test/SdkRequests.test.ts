import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { dataUri, wav } from "./utils/audio.js"
import { compatEvents, nativeEvents, serveFiles } from "./utils/http.js"
import type { Fixture, Replied } from "./utils/replay.js"
import { fixtureNames, loadFixture, replay } from "./utils/replay.js"

const speech = wav(2, { tone: 330 })
let emulator: StartedEmulator
let files: Awaited<ReturnType<typeof serveFiles>>
let vars: Record<string, string> = {}
const replayed = new Set<string>()

const send = async (name: string, extra: Record<string, string> = {}, file?: Buffer): Promise<Replied> => {
  const fixture: Fixture = loadFixture(name)
  replayed.add(name)
  const reply = await replay(fixture, emulator.origin, { ...vars, ...extra }, file)
  expect(reply.status, `${name}: ${reply.text}`).toBe(fixture.expect.status)
  switch (fixture.expect.format) {
    case "json":
      expect(() => JSON.parse(reply.text)).not.toThrow()
      break
    case "empty":
      expect(reply.text).toBe("")
      break
    case "dashscope-sse": {
      const events = nativeEvents(reply.text)
      expect(events.every((e) => e.event === "result")).toBe(true)
      expect(events.at(-1)!.data.output.choices[0].finish_reason).toBe("stop")
      break
    }
    case "openai-sse": {
      const events = compatEvents(reply.text)
      expect(events.at(-1)).toBe("[DONE]")
      expect(events.at(-2).usage.seconds).toBe(2)
      break
    }
  }
  expect((await emulator.report()).violations, name).toEqual([])
  return reply
}

beforeAll(async () => {
  files = await serveFiles({ "/speech.wav": speech })
  // a manual clock: the task is PENDING until the test moves the clock, however slow the machine
  emulator = await startEmulator({ clock: "manual", tasks: { pending_ms: 1000, running_ms: 2000 } })
  vars = {
    api_key: emulator.apiKey,
    audio_url: `${files.base}/speech.wav`,
    audio_data_uri: dataUri(speech)
  }
})

afterAll(async () => {
  await emulator.close()
  await files.close()
})

beforeEach(() => emulator.reset())

describe("the DashScope Python SDK's requests", () => {
  it("MultiModalConversation.call with stream=False and asr_options", async () => {
    const reply = JSON.parse((await send("dashscope-multimodal-conversation.json")).text)
    expect(reply.output.choices[0].message.content[0].text.length).toBeGreaterThan(0)
    expect(reply.usage.seconds).toBe(2)
  })

  it("MultiModalConversation.call with asr_options=None", async () => {
    const reply = JSON.parse((await send("dashscope-multimodal-conversation-asr-options-none.json")).text)
    expect(reply.output.choices[0].message.content[0].text.length).toBeGreaterThan(0)
  })

  it("MultiModalConversation.call with stream=True", async () => {
    await send("dashscope-multimodal-conversation-stream.json")
  })

  it("OssUtils.upload (getPolicy, then the form), then MultiModalConversation.call on the oss:// URL", async () => {
    const policy = JSON.parse((await send("dashscope-oss-get-policy.json")).text).data as Record<string, string>
    const fromPolicy = Object.fromEntries(Object.entries(policy).map(([k, v]) => [`policy.${k}`, String(v)]))
    await send("dashscope-oss-upload.json", fromPolicy, speech)
    const reply = await send("dashscope-multimodal-conversation-oss.json", {
      oss_url: `oss://${policy.upload_dir}/speech.wav`
    })
    expect(JSON.parse(reply.text).usage.seconds).toBe(2)
    expect((await emulator.report()).uploads).toEqual([
      { key: `${policy.upload_dir}/speech.wav`, bytes: speech.length, model: "qwen3-asr-flash" }
    ])
  })

  it("QwenTranscription.async_call, then fetch and wait until SUCCEEDED", async () => {
    const submitted = JSON.parse((await send("dashscope-qwen-transcription-async-call.json")).text)
    const task_id: string = submitted.output.task_id
    expect(JSON.parse((await send("dashscope-qwen-transcription-fetch.json", { task_id })).text).output.task_status)
      .toBe("PENDING")
    await emulator.advance(10_000)
    const deadline = Date.now() + 60_000
    let done: any
    do {
      done = JSON.parse((await send("dashscope-qwen-transcription-fetch.json", { task_id })).text)
    } while (done.output.task_status === "RUNNING" && Date.now() < deadline)
    expect(done.output.task_status).toBe("SUCCEEDED")
    expect(done.usage.seconds).toBe(2)
  })
})

describe("the openai Python SDK's requests", () => {
  it("chat.completions.create with input_audio and extra_body asr_options", async () => {
    const reply = JSON.parse((await send("openai-chat-completions-input-audio.json")).text)
    expect(reply.choices[0].message.content.length).toBeGreaterThan(0)
  })

  it("chat.completions.create streaming with include_usage", async () => {
    await send("openai-chat-completions-input-audio-stream.json")
  })
})

describe("fixtures", () => {
  it("every fixture under test/fixtures/sdk was replayed", () => {
    expect([...replayed].sort()).toEqual(fixtureNames())
  })
})
