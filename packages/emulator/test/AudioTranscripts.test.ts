import { startEmulator } from "@asrflow/emulator"
import { Segmenter } from "@asrflow/emulator/AudioContent"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dataUri, requireTools, tempDir, toneSequence, wav } from "./utils/audio.js"
import { client, compatBody, request, serveFiles, until } from "./utils/http.js"

const tools = requireTools("AudioTranscripts.test.ts", "ffmpeg")
const dir = tempDir()
let emulator: StartedEmulator
let api: ReturnType<typeof client>
let files: Awaited<ReturnType<typeof serveFiles>>
let base = ""

// three utterances (tone bursts) between pauses; the cut falls in the pause after the second
const first = [{ hz: 300, ms: 1200 }, { ms: 500 }, { hz: 500, ms: 800 }, { ms: 250 }]
const second = [{ ms: 250 }, { hz: 700, ms: 1200 }]
const whole = toneSequence([...first, ...second])
const served: Record<string, Buffer> = { "/whole.wav": whole }

const text = async (bytes: Buffer, mime = "audio/wav") => {
  const reply = await api.compatible(compatBody(dataUri(bytes, mime)))
  expect(reply.status).toBe(200)
  return reply.json.choices[0].message.content as string
}

beforeAll(async () => {
  files = await serveFiles(served)
  base = files.base
  emulator = await startEmulator({
    clock: "manual",
    rate_limits: { enabled: false },
    synthetic_transcripts: "audio",
    tasks: { pending_ms: 0, running_ms: 0 }
  })
  api = client(emulator)
})

afterAll(async () => {
  await emulator.close()
  await files.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe("Segmenter", () => {
  it("finds the voiced stretches between pauses and their pitch", () => {
    const bytes = whole.subarray(44)
    const segmenter = new Segmenter(16000)
    // pushed in odd-sized pieces, as a stream would deliver them
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2)
    for (let i = 0; i < samples.length; i += 777) segmenter.push(samples.subarray(i, i + 777))
    const found = segmenter.finish()
    expect(found.map((s) => [s.beginMs, s.endMs])).toEqual([[0, 1200], [1700, 2500], [3000, 4200]])
    found.forEach((segment, i) => expect(Math.abs(segment.hz - [300, 500, 700][i]!)).toBeLessThan(2))
  })
})

describe("synthetic_transcripts: audio", () => {
  it("gives each chunk of a recording its part of the recording's transcript, in order", async () => {
    const all = await text(whole)
    const a = await text(toneSequence(first))
    const b = await text(toneSequence(second))
    expect(a).not.toBe(b)
    expect(`${a} ${b}`).toBe(all)
    expect(all.split(". ").length).toBe(3)
    // the same utterance transcribes the same wherever it sits
    expect(await text(toneSequence([{ ms: 3000 }, { hz: 700, ms: 1200 }]))).toBe(b)
  })

  it("is empty for silence", async () => {
    expect(await text(wav(2, { tone: 0 }))).toBe("")
  })

  it("places filetrans sentences at the voiced stretches", async () => {
    const submitted = await api.submit({ model: "qwen3-asr-flash-filetrans", input: { file_url: `${base}/whole.wav` } })
    let url = ""
    await until("the task to succeed", async () => {
      const output = (await api.task(submitted.json.output.task_id)).json.output
      url = output.result?.transcription_url ?? ""
      return output.task_status === "SUCCEEDED"
    })
    const sentences = (await request(url)).json.transcripts[0].sentences
    expect(sentences.map((s: any) => [s.begin_time, s.end_time])).toEqual([[0, 1200], [1700, 2500], [3000, 4200]])
    expect(sentences.map((s: any) => s.text).join(" ")).toBe(await text(whole))
  })

  it.skipIf(!tools)("decodes other containers with ffmpeg: FLAC chunks transcribe like the WAV", async () => {
    const flac = (name: string, bytes: Buffer) => {
      const input = path.join(dir, `${name}.wav`)
      const output = path.join(dir, `${name}.flac`)
      fs.writeFileSync(input, bytes)
      execFileSync("ffmpeg", ["-y", "-loglevel", "error", "-i", input, "-c:a", "flac", output])
      return fs.readFileSync(output)
    }
    expect(await text(flac("first", toneSequence(first)), "audio/flac")).toBe(await text(toneSequence(first)))
    expect(await text(flac("second", toneSequence(second)), "audio/flac")).toBe(await text(toneSequence(second)))
  })
})
