import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { wav } from "./utils/audio.js"
import { client, request, serveFiles, until } from "./utils/http.js"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/

let emulator: StartedEmulator
let api: ReturnType<typeof client>
let server: Awaited<ReturnType<typeof serveFiles>>
let base = ""

const files: Record<string, Buffer> = {
  "/speech.wav": wav(3),
  "/stereo.wav": wav(2, { channels: 2 }),
  "/fail-me.wav": wav(1),
  "/noise.bin": Buffer.from("not audio, definitely not audio")
}

const submit = async (fileUrl: string, parameters?: Record<string, unknown>) => {
  const reply = await api.submit({
    model: "qwen3-asr-flash-filetrans",
    input: { file_url: fileUrl },
    ...(parameters ? { parameters } : {})
  })
  expect(reply.status).toBe(200)
  // the audio is fetched and analysed in real time: wait for it, so task times depend on the clock alone
  await until("the task's audio to be analysed", async () => (await emulator.report()).tasks.loading === 0)
  return reply.json.output.task_id as string
}

/** Polls until the task leaves PENDING/RUNNING (its audio is fetched and analysed in the background). */
const settle = async (id: string) => {
  let reply: any
  await until(`task ${id} to finish`, async () => {
    reply = (await api.task(id)).json
    return reply.output.task_status !== "RUNNING" && reply.output.task_status !== "PENDING"
  })
  return reply
}

/** Jumps the clock past the task's end, then waits for its audio to be analysed. */
const finish = async (id: string) => {
  await emulator.advance(60_000)
  return settle(id)
}

beforeAll(async () => {
  server = await serveFiles(files)
  base = server.base
  emulator = await startEmulator({
    clock: "manual",
    rate_limits: { enabled: false },
    tasks: { pending_ms: 10_000, running_ms: 20_000, running_ms_per_audio_second: 1000 },
    result_ttl_s: 3600,
    fail_tasks_matching: ["fail-me", { pattern: "custom-fail", code: "InvalidFile.Custom", message: "custom" }],
    transcripts: { [`${base}/speech.wav`]: "Hello world. This is a test!" }
  })
  api = client(emulator)
})

afterAll(async () => {
  await emulator.close()
  await server.close()
})

beforeEach(() => emulator.reset())

describe("submit", () => {
  it("answers PENDING with a task id", async () => {
    const reply = await api.submit({
      model: "qwen3-asr-flash-filetrans",
      input: { file_url: `${base}/speech.wav` },
      parameters: { channel_id: [0], language: "en", enable_itn: false, enable_words: true }
    })
    expect(reply.status).toBe(200)
    expect(reply.json).toEqual({
      request_id: expect.stringMatching(UUID),
      output: { task_id: expect.stringMatching(UUID), task_status: "PENDING" }
    })
    const report = await emulator.report()
    expect(report.violations).toEqual([])
    expect(report.submissions_per_audio).toEqual({ [`${base}/speech.wav`]: 1 })
    expect(report.tasks.submitted).toBeGreaterThan(0)
  })

  it("requires X-DashScope-Async: enable", async () => {
    const reply = await api.submit(
      { model: "qwen3-asr-flash-filetrans", input: { file_url: `${base}/speech.wav` } },
      {}
    )
    expect(reply.status).toBe(403)
    expect(reply.json).toEqual({
      code: "AccessDenied",
      message: "current user api does not support synchronous calls",
      request_id: expect.stringMatching(UUID)
    })
    expect((await emulator.report()).violations.map((v) => v.rule)).toEqual(["missing_async_header"])
  })

  it("rejects sync models on the async path", async () => {
    const reply = await api.submit({ model: "qwen3-asr-flash", input: { file_url: `${base}/speech.wav` } })
    expect(reply.status).toBe(403)
    expect(reply.json.message).toBe("Current user api does not support asynchronous calls.")
    const unknown = await api.submit({ model: "sensevoice-v1", input: { file_urls: [`${base}/speech.wav`] } })
    expect(unknown.status).toBe(404)
    expect((await emulator.report()).violations.map((v) => v.rule)).toEqual([
      "sync_model_on_async_path",
      "unknown_model"
    ])
  })

  it("records file_urls, paraformer parameters and unknown keys", async () => {
    const onlyArray = await api.submit({
      model: "qwen3-asr-flash-filetrans",
      input: { file_urls: [`${base}/speech.wav`] }
    })
    expect(onlyArray.status).toBe(400)
    expect(onlyArray.json.code).toBe("InvalidParameter")
    const extra = await api.submit({
      model: "qwen3-asr-flash-filetrans",
      input: { file_url: `${base}/speech.wav` },
      parameters: { language_hints: ["en"], diarization_enabled: true, timestamp_alignment_enabled: true, foo: 1 },
      resources: []
    })
    expect(extra.status).toBe(200)
    expect((await emulator.report()).violations.map((v) => `${v.rule} ${v.detail}`)).toEqual([
      "file_urls_on_qwen3 input.file_urls is the Paraformer/Fun-ASR shape",
      "paraformer_param body.resources",
      "paraformer_param parameters.language_hints",
      "paraformer_param parameters.diarization_enabled",
      "paraformer_param parameters.timestamp_alignment_enabled",
      "unknown_key parameters.foo"
    ])
  })

  it("rejects bad parameters and URLs", async () => {
    const bad = [
      { parameters: { language: "klingon" } },
      { parameters: { enable_words: "yes" } },
      { parameters: { channel_id: 0 } }
    ]
    for (const extra of bad) {
      const reply = await api.submit({
        model: "qwen3-asr-flash-filetrans",
        input: { file_url: `${base}/speech.wav` },
        ...extra
      })
      expect(reply.status).toBe(400)
    }
    const data = await api.submit({
      model: "qwen3-asr-flash-filetrans",
      input: { file_url: "data:audio/wav;base64,AAAA" }
    })
    expect(data.status).toBe(400)
    expect((await emulator.report()).violations.map((v) => v.rule)).toEqual([
      "invalid_parameter",
      "invalid_parameter",
      "invalid_parameter",
      "invalid_audio_url"
    ])
  })
})

describe("lifecycle", () => {
  it("goes PENDING → RUNNING → SUCCEEDED on the configured clock", async () => {
    const id = await submit(`${base}/speech.wav`, { enable_words: true })
    const pending = (await api.task(id)).json
    expect(pending).toEqual({
      request_id: expect.stringMatching(UUID),
      output: {
        task_id: id,
        task_status: "PENDING",
        submit_time: expect.stringMatching(TIME),
        task_metrics: { TOTAL: 1, SUCCEEDED: 0, FAILED: 0 }
      }
    })
    await emulator.advance(10_000)
    const running = (await api.task(id)).json
    expect(running.output).toEqual({
      task_id: id,
      task_status: "RUNNING",
      submit_time: pending.output.submit_time,
      scheduled_time: expect.stringMatching(TIME),
      task_metrics: { TOTAL: 1, SUCCEEDED: 0, FAILED: 0 }
    })
    // running_ms 20 s + 1 s per audio second × 3 s = 23 s after scheduling, on the manual clock
    await emulator.advance(21_000)
    expect((await api.task(id)).json.output.task_status).toBe("RUNNING")
    await emulator.advance(2_500)
    const done = await settle(id)
    expect(Object.keys(done)).toEqual(["request_id", "output", "usage"])
    expect(Object.keys(done.output)).toEqual([
      "task_id",
      "task_status",
      "submit_time",
      "scheduled_time",
      "end_time",
      "result"
    ])
    expect(done.output.task_status).toBe("SUCCEEDED")
    expect(done.usage).toEqual({ seconds: 3 })
    expect(done.output.result.transcription_url).toMatch(
      new RegExp(`^${emulator.origin}/__oss/result/${id}\\.json\\?Expires=\\d+&OSSAccessKeyId=LTAI5t\\w+&Signature=`)
    )

    const doc = await request(done.output.result.transcription_url)
    expect(doc.status).toBe(200)
    expect(doc.json).toEqual({
      file_url: `${base}/speech.wav`,
      audio_info: { format: "wav", sample_rate: 16000 },
      transcripts: [{
        channel_id: 0,
        text: "Hello world. This is a test!",
        sentences: [
          {
            sentence_id: 0,
            begin_time: 0,
            end_time: expect.any(Number),
            text: "Hello world.",
            language: "en",
            emotion: expect.any(String),
            words: [
              { begin_time: 0, end_time: expect.any(Number), text: "Hello", punctuation: "" },
              { begin_time: expect.any(Number), end_time: expect.any(Number), text: "world", punctuation: "." }
            ]
          },
          {
            sentence_id: 1,
            begin_time: expect.any(Number),
            end_time: 3000,
            text: "This is a test!",
            language: "en",
            emotion: expect.any(String),
            words: expect.any(Array)
          }
        ]
      }]
    })
    const sentences = doc.json.transcripts[0].sentences
    expect(sentences[1].words.map((w: any) => w.text + w.punctuation)).toEqual(["This", "is", "a", "test!"])
    expect(sentences[0].end_time).toBe(sentences[1].begin_time)
    for (const s of sentences) {
      for (const w of s.words) {
        expect(Number.isInteger(w.begin_time) && Number.isInteger(w.end_time)).toBe(true)
        expect(w.begin_time >= s.begin_time && w.end_time <= s.end_time && w.begin_time <= w.end_time).toBe(true)
      }
    }
    expect((await emulator.report()).violations).toEqual([])
  })

  it("omits words without enable_words, and transcribes each requested channel (billed per channel)", async () => {
    const id = await submit(`${base}/stereo.wav`, { channel_id: [0, 1] })
    const done = await finish(id)
    expect(done.output.task_status).toBe("SUCCEEDED")
    expect(done.usage).toEqual({ seconds: 4 })
    const doc = (await request(done.output.result.transcription_url)).json
    expect(doc.transcripts.map((t: any) => t.channel_id)).toEqual([0, 1])
    for (const t of doc.transcripts) {
      expect(t.sentences.length).toBeGreaterThan(0)
      for (const s of t.sentences) expect(s.words).toBeUndefined()
    }
  })

  it("fails a task whose channel does not exist", async () => {
    const done = await finish(await submit(`${base}/speech.wav`, { channel_id: [1] }))
    expect(done.output.task_status).toBe("FAILED")
  })

  it("fails tasks for unreachable hosts, missing files and undecodable audio", async () => {
    for (
      const [url, code] of [
        ["https://example.com/a.mp3", "FILE_403_FORBIDDEN"],
        [`${base}/missing.wav`, "FILE_403_FORBIDDEN"],
        [`${base}/noise.bin`, "InvalidFile.DecodeFailed"]
      ]
    ) {
      const done = await finish(await submit(url!))
      expect(done.output).toMatchObject({ task_status: "FAILED", code })
      expect(Object.keys(done.output)).toEqual([
        "task_id",
        "task_status",
        "submit_time",
        "scheduled_time",
        "end_time",
        "code",
        "message"
      ])
      expect(done.usage).toBeUndefined()
    }
  })

  it("forces FAILED by file-name pattern", async () => {
    const done = await finish(await submit(`${base}/fail-me.wav`))
    expect(done.output).toMatchObject({ task_status: "FAILED", code: "InternalError" })
    const custom = await finish(await submit(`${base}/speech.wav?name=custom-fail`))
    expect(custom.output).toMatchObject({ task_status: "FAILED", code: "InvalidFile.Custom", message: "custom" })
  })

  it("answers UNKNOWN (HTTP 200) for unknown ids, and accepts POST and the async header on queries", async () => {
    const reply = await api.task("no-such-task")
    expect(reply.status).toBe(200)
    expect(reply.json).toEqual({
      request_id: expect.stringMatching(UUID),
      output: { task_id: "no-such-task", task_status: "UNKNOWN" }
    })
    expect((await api.task("no-such-task", "POST")).json.output.task_status).toBe("UNKNOWN")
    const withHeader = await request(`${emulator.nativeBaseUrl}/tasks/x`, {
      headers: { authorization: `Bearer ${emulator.apiKey}`, "x-dashscope-async": "enable" }
    })
    expect(withHeader.status).toBe(200)
    expect((await emulator.report()).violations).toEqual([])
  })
})

describe("result URL", () => {
  it("is served without auth, refuses tampering, records key leaks, and expires after result_ttl_s", async () => {
    const done = await finish(await submit(`${base}/speech.wav`))
    const url: string = done.output.result.transcription_url
    expect((await request(url)).status).toBe(200)

    const tampered = await request(url.replace(/Expires=(\d+)/, (_, n) => `Expires=${Number(n) + 1}`))
    expect(tampered.status).toBe(403)
    expect(tampered.headers.get("content-type")).toBe("application/xml")
    expect(tampered.text).toContain("<Code>SignatureDoesNotMatch</Code>")

    expect((await request(url, { headers: { authorization: `Bearer ${emulator.apiKey}` } })).status).toBe(200)
    const report = await emulator.report()
    expect(report.key_leaks).toBe(1)
    expect(report.violations).toEqual([
      { rule: "key_leak", endpoint: "result", detail: "the API key was sent to the OSS host" }
    ])

    await emulator.advance(3_600_000)
    const expired = await request(url)
    expect(expired.status).toBe(403)
    expect(expired.text).toContain("<Code>AccessDenied</Code>")
    expect(expired.text).toContain("<Message>Request has expired.</Message>")
    expect((await api.task(done.output.task_id)).json.output.task_status).toBe("UNKNOWN")
  })
})

describe("cancel and list", () => {
  it("cancels only PENDING tasks", async () => {
    const id = await submit(`${base}/speech.wav`)
    const cancel = await api.cancel(id)
    expect(cancel.status).toBe(200)
    expect(cancel.json).toEqual({ request_id: expect.stringMatching(UUID) })
    const view = (await api.task(id)).json.output
    expect(view.task_status).toBe("CANCELED")
    await emulator.advance(100_000)
    expect((await api.task(id)).json.output.task_status).toBe("CANCELED")

    const done = await finish(await submit(`${base}/speech.wav`))
    const refused = await api.cancel(done.output.task_id)
    expect(refused.status).toBe(400)
    expect(refused.json).toEqual({
      code: "UnsupportedOperation",
      message: "Failed to cancel the task, please confirm if the task is in PENDING status.",
      request_id: expect.stringMatching(UUID)
    })
  })

  it("lists tasks flat, newest first, with filters and pages", async () => {
    const a = await submit(`${base}/speech.wav`)
    const b = await submit(`${base}/speech.wav`)
    const page = await api.list("?page_size=2&page_no=1&model_name=qwen3-asr-flash-filetrans&status=PENDING")
    expect(page.status).toBe(200)
    expect(Object.keys(page.json)).toEqual(["request_id", "total", "total_page", "page_no", "page_size", "data"])
    expect(page.json.page_size).toBe(2)
    expect(page.json.data.map((t: any) => t.task_id)).toEqual([b, a])
    expect(page.json.data[0]).toEqual({
      task_id: b,
      status: "PENDING",
      model_name: "qwen3-asr-flash-filetrans",
      region: "cn-beijing",
      request_id: expect.stringMatching(UUID),
      api_key_id: expect.any(String),
      caller_uid: expect.any(String),
      caller_parent_id: expect.any(String),
      gmt_create: expect.any(Number),
      start_time: null,
      end_time: null,
      user_api_unique_key: expect.any(String)
    })
    expect((await api.list("?status=SUCCEEDED&model_name=qwen3-asr-flash")).json.total).toBe(0)
    expect((await api.list("?start_time=20990101000000")).json.total).toBe(0)
    expect((await api.list("?start_time=bad")).status).toBe(400)
  })
})
