import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { requireTools, tempDir, toneSequence, wav } from "./utils/audio.js"
import { client, serveFiles, until } from "./utils/http.js"

const tools = requireTools("Batches.test.ts", "espeak-ng", "sox")
const dir = tempDir()

// two "voices" alternating: low and high tone bursts between pauses
const dialogue = toneSequence([
  { hz: 180, ms: 900 },
  { ms: 500 },
  { hz: 420, ms: 700 },
  { ms: 500 },
  { hz: 190, ms: 800 },
  { ms: 500 },
  { hz: 400, ms: 900 }
])

const served: Record<string, Buffer> = {
  "/a.wav": wav(2),
  "/b.wav": wav(3),
  "/broken-1.wav": wav(1),
  "/noise.bin": Buffer.from("not audio at all"),
  "/dialogue.wav": dialogue
}

let emulator: StartedEmulator
let api: ReturnType<typeof client>
let server: Awaited<ReturnType<typeof serveFiles>>
let base = ""

const submit = async (model: string, urls: ReadonlyArray<string>, parameters?: Record<string, unknown>) => {
  const reply = await api.submit({ model, input: { file_urls: urls }, ...(parameters ? { parameters } : {}) })
  expect(reply.status, reply.text).toBe(200)
  await until("the batch's files to be analysed", async () => (await emulator.report()).batches.loading === 0)
  return reply.json.output.task_id as string
}

const finish = async (id: string) => {
  await emulator.advance(600_000)
  return (await api.task(id)).json
}

const document = async (url: string) => (await api.get(url)).json

beforeAll(async () => {
  server = await serveFiles(served)
  base = server.base
  if (tools) {
    // two espeak-ng voices taking turns, 0.8 s apart, as a 16 kHz mono WAV
    const say = (voice: string, pitch: string, text: string, name: string) => {
      execFileSync("espeak-ng", ["-v", voice, "-p", pitch, "-w", path.join(dir, `${name}.raw.wav`), text])
      execFileSync("sox", [path.join(dir, `${name}.raw.wav`), "-r", "16000", path.join(dir, `${name}.wav`)])
      return path.join(dir, `${name}.wav`)
    }
    const turns = [
      say("en+m3", "30", "Good morning everyone let us begin the planning meeting", "t1"),
      say("en+f3", "80", "Thanks I finished the billing report yesterday", "t2"),
      say("en+m3", "30", "Great work then we move on to the roadmap", "t3"),
      say("en+f3", "80", "The roadmap is ready for review", "t4")
    ]
    execFileSync("sox", ["-n", "-r", "16000", "-c", "1", path.join(dir, "pause.wav"), "trim", "0", "0.8"])
    const pause = path.join(dir, "pause.wav")
    execFileSync("sox", [
      turns[0]!,
      pause,
      turns[1]!,
      pause,
      turns[2]!,
      pause,
      turns[3]!,
      path.join(dir, "meeting.wav")
    ])
    served["/meeting.wav"] = fs.readFileSync(path.join(dir, "meeting.wav"))
  }
  emulator = await startEmulator({
    clock: "manual",
    rate_limits: { enabled: false },
    tasks: { pending_ms: 10_000, running_ms: 20_000 },
    fail_tasks_matching: [{ pattern: "broken-", code: "InvalidFile.Custom", message: "custom failure" }],
    synthetic_transcripts: "audio",
    vocabularies: { "vocab-meeting-0123456789abcdef": { target_model: "paraformer-v2" } }
  })
  api = client(emulator)
})

afterAll(async () => {
  await emulator.close()
  await server.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

beforeEach(() => emulator.reset())

describe("batch submit", () => {
  it("takes up to 100 file_urls, and each file is an accepted submission", async () => {
    const id = await submit("paraformer-v2", [`${base}/a.wav`, `${base}/b.wav`])
    const report = await emulator.report()
    expect(report.violations).toEqual([])
    expect(report.batches.submits).toEqual([{ task_id: id, model: "paraformer-v2", files: 2 }])
    expect(report.submissions_per_audio).toEqual({ [`${base}/a.wav`]: 1, [`${base}/b.wav`]: 1 })
    expect((await api.task(id)).json.output).toEqual({
      task_id: id,
      task_status: "PENDING",
      submit_time: expect.any(String),
      task_metrics: { TOTAL: 2, SUCCEEDED: 0, FAILED: 0 }
    })
  })

  it("refuses more than max_batch_files URLs with 400", async () => {
    const reply = await api.submit({
      model: "paraformer-v2",
      input: { file_urls: Array.from({ length: 101 }, (_, i) => `${base}/${i}.wav`) }
    })
    expect(reply.status).toBe(400)
    expect(reply.json.code).toBe("InvalidParameter")
    expect(reply.json.message).toContain("at most 100")
  })

  it("checks vocabulary_id against the known vocabularies and their target model", async () => {
    const body = (vocabulary_id: string, model = "paraformer-v2") => ({
      model,
      input: { file_urls: [`${base}/a.wav`] },
      parameters: { vocabulary_id }
    })
    expect((await api.submit(body("vocab-meeting-0123456789abcdef"))).status).toBe(200)
    const unknown = await api.submit(body("vocab-other-0123456789abcdef"))
    expect([unknown.status, unknown.json.message]).toEqual([
      400,
      "vocabulary_id vocab-other-0123456789abcdef does not exist"
    ])
    const wrongModel = await api.submit(body("vocab-meeting-0123456789abcdef", "fun-asr"))
    expect(wrongModel.json.message).toBe(
      "vocabulary_id vocab-meeting-0123456789abcdef was created for paraformer-v2, not fun-asr"
    )
    expect((await emulator.report()).violations.map((v) => v.rule)).toEqual([
      "unknown_vocabulary",
      "unknown_vocabulary"
    ])
  })

  it("checks speaker_count and special_word_filter", async () => {
    const count = await api.submit({
      model: "fun-asr",
      input: { file_urls: [`${base}/a.wav`] },
      parameters: { diarization_enabled: true, speaker_count: 1 }
    })
    expect(count.status).toBe(400)
    const filter = await api.submit({
      model: "fun-asr",
      input: { file_urls: [`${base}/a.wav`] },
      parameters: { special_word_filter: "not json" }
    })
    expect(filter.status).toBe(400)
    expect((await emulator.report()).violations.map((v) => v.rule)).toEqual(["invalid_parameter", "invalid_parameter"])
  })
})

describe("batch results", () => {
  it("gives each file its own result, and a file that fails inside a batch fails alone", async () => {
    const urls = [`${base}/a.wav`, `${base}/broken-1.wav`, `${base}/missing.wav`, `${base}/noise.bin`, `${base}/b.wav`]
    const body = await finish(await submit("fun-asr", urls))
    expect(body.output.task_status).toBe("SUCCEEDED")
    expect(body.output.task_metrics).toEqual({ TOTAL: 5, SUCCEEDED: 2, FAILED: 3 })
    expect(body.usage).toEqual({ duration: 5 })
    const results = body.output.results
    expect(results.map((r: any) => [r.file_url, r.subtask_status, r.code])).toEqual([
      [urls[0], "SUCCEEDED", undefined],
      [urls[1], "FAILED", "InvalidFile.Custom"],
      [urls[2], "FAILED", "InvalidFile.DownloadFailed"],
      [urls[3], "FAILED", "InvalidFile.DecodeFailed"],
      [urls[4], "SUCCEEDED", undefined]
    ])
    const doc = await document(results[0].transcription_url)
    expect(doc.file_url).toBe(urls[0])
    expect(doc.properties).toEqual({
      audio_format: "wav",
      channels: [0],
      original_sampling_rate: 16000,
      original_duration_in_milliseconds: 2000
    })
    const channel = doc.transcripts[0]
    expect(channel.channel_id).toBe(0)
    expect(channel.sentences[0].sentence_id).toBe(1)
    expect(channel.sentences[0].speaker_id).toBeUndefined()
    expect(channel.sentences[0].words.length).toBeGreaterThan(0)
    expect(channel.sentences[0].emotion).toBeUndefined()
  })

  it("fails the task when every file failed", async () => {
    const body = await finish(await submit("paraformer-v2", [`${base}/missing.wav`]))
    expect(body.output.task_status).toBe("FAILED")
    expect(body.output.results[0].subtask_status).toBe("FAILED")
  })

  it("lists and cancels batches like other tasks", async () => {
    const id = await submit("paraformer-v2", [`${base}/a.wav`])
    const listed = (await api.list("?model_name=paraformer-v2")).json.data.map((row: any) => row.task_id)
    expect(listed).toContain(id)
    expect((await api.cancel(id)).status).toBe(200)
    expect((await api.task(id)).json.output.task_status).toBe("CANCELED")
  })

  it("labels speakers by voice pitch: alternating tones give alternating speaker_id", async () => {
    const body = await finish(
      await submit("paraformer-v2", [`${base}/dialogue.wav`], { diarization_enabled: true, speaker_count: 2 })
    )
    const doc = await document(body.output.results[0].transcription_url)
    expect(doc.transcripts[0].sentences.map((s: any) => s.speaker_id)).toEqual([0, 1, 0, 1])
  })

  it.runIf(tools)("labels two espeak-ng voices taking turns as alternating speakers", async () => {
    const body = await finish(await submit("fun-asr", [`${base}/meeting.wav`], { diarization_enabled: true }))
    const doc = await document(body.output.results[0].transcription_url)
    const speakers: Array<number> = doc.transcripts[0].sentences.map((s: any) => s.speaker_id)
    const turns = speakers.filter((speaker, index) => index === 0 || speaker !== speakers[index - 1])
    expect(turns).toEqual([0, 1, 0, 1])
  })
})
