import { AudioAnalyzer, AudioDuration, AudioFormat, startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { dataUri, encoded, requireTools, tempDir, wav } from "./utils/audio.js"
import { client, compatBody, nativeBody } from "./utils/http.js"

const tools = requireTools("Audio.test.ts", "ffmpeg", "ffprobe", "espeak-ng")

let emulator: StartedEmulator
let api: ReturnType<typeof client>
const dir = tempDir()

const probeSeconds = (file: string): number =>
  Number(
    execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file]).toString()
  )

beforeAll(async () => {
  emulator = await startEmulator({ rate_limits: { enabled: false } })
  api = client(emulator)
})

afterAll(async () => {
  await emulator.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

beforeEach(() => emulator.reset())

describe("AudioFormat.sniff", () => {
  it("recognises containers from magic bytes", async () => {
    const b = (...parts: Array<string | Array<number>>) =>
      Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))))
    expect(await AudioFormat.sniff(wav(0.1))).toBe("wav")
    expect(await AudioFormat.sniff(b("ID3", [4, 0, 0, 0, 0, 0, 0], [0xff, 0xfb, 0x90, 0x00], new Array(64).fill(0))))
      .toBe("mp3")
    expect(await AudioFormat.sniff(b([0xff, 0xfb, 0x90, 0x00]))).toBe("mp3")
    expect(await AudioFormat.sniff(b([0xff, 0xf1, 0x50, 0x80]))).toBe("aac")
    expect(await AudioFormat.sniff(b([0xff, 0xf9, 0x50, 0x80]))).toBe("aac")
    expect(await AudioFormat.sniff(b("fLaC", [0, 0, 0, 34]))).toBe("flac")
    expect(await AudioFormat.sniff(b("OggS", new Array(24).fill(0), "OpusHead"))).toBe("opus")
    expect(await AudioFormat.sniff(b("OggS", new Array(24).fill(0), [1], "vorbis", new Array(16).fill(0)))).toBe("ogg")
    expect(await AudioFormat.sniff(b([0, 0, 0, 32], "ftypM4A ", [0, 0, 0, 0]))).toBe("m4a")
    expect(await AudioFormat.sniff(b([0, 0, 0, 32], "ftypisom", [0, 0, 0, 0]))).toBe("mp4")
    expect(await AudioFormat.sniff(b([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84], "webm"))).toBe("webm")
    expect(await AudioFormat.sniff(b([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x88], "matroska"))).toBe("mkv")
    expect(await AudioFormat.sniff(b("#!AMR\n"))).toBe("amr")
    expect(await AudioFormat.sniff(b("RF64", [0, 0, 0, 0], "WAVE"))).toBe("wav")
    expect(await AudioFormat.sniff(b("FORM", [0, 0, 0, 4], "AIFF"))).toBe("aiff")
    expect(await AudioFormat.sniff(b("hello world"))).toBeUndefined()
  })

  it("decides MIME contradictions by family", () => {
    expect(AudioFormat.contradicts("audio/wav", "webm")).toBe(true)
    expect(AudioFormat.contradicts("audio/wav", "wav")).toBe(false)
    expect(AudioFormat.contradicts("audio/ogg", "opus")).toBe(false)
    expect(AudioFormat.contradicts("audio/aac", "m4a")).toBe(false)
    expect(AudioFormat.contradicts("application/octet-stream", "mp3")).toBe(false)
  })

  it("reads WAV durations from the header, including streamed WAVs with a placeholder size", () => {
    expect(AudioDuration.parseWav(wav(2.5), wav(2.5).length)?.durationMs).toBe(2500)
    const streamed = wav(1)
    streamed.writeUInt32LE(0xffffffff, 40)
    expect(AudioDuration.parseWav(streamed, streamed.length)?.durationMs).toBe(1000)
    expect(AudioDuration.parseWav(wav(1, { rate: 8000, channels: 2 }), wav(1, { rate: 8000, channels: 2 }).length))
      .toEqual({
        format: "wav",
        sampleRate: 8000,
        channels: 2,
        durationMs: 1000
      })
  })
})

describe.skipIf(!tools)("real containers", () => {
  for (
    const [ext, mime] of [
      ["mp3", "audio/mpeg"],
      ["flac", "audio/flac"],
      ["ogg", "audio/ogg"],
      ["opus", "audio/ogg"],
      ["m4a", "audio/mp4"],
      ["webm", "audio/webm"],
      ["aac", "audio/aac"]
    ] as const
  ) {
    it(`takes the duration of ${ext} from the audio`, async () => {
      const file = encoded(dir, ext)
      const bytes = fs.readFileSync(file)
      const analysis = await new AudioAnalyzer.AudioAnalyzer().analyzeBytes(bytes)
      expect(analysis._tag).toBe("Ok")
      if (analysis._tag !== "Ok") return
      expect(Math.abs(analysis.info.durationMs / 1000 - probeSeconds(encoded(dir, "wav")))).toBeLessThan(0.2)
      const reply = await api.compatible(compatBody(dataUri(bytes, mime)))
      expect(reply.status).toBe(200)
      expect(reply.json.usage.seconds).toBe(Math.ceil(analysis.info.durationMs / 1000))
      expect((await emulator.report()).violations).toEqual([])
    })
  }

  it("answers 嗯。 and records a mime_mismatch when WebM bytes are declared audio/wav", async () => {
    const bytes = fs.readFileSync(encoded(dir, "webm"))
    const reply = await api.compatible(compatBody(dataUri(bytes, "audio/wav")))
    expect(reply.status).toBe(200)
    expect(reply.json.choices[0].message.content).toBe("嗯。")
    const native = await api.native(nativeBody(dataUri(bytes, "audio/wav")))
    expect(native.json.output.choices[0].message.content[0].text).toBe("嗯。")
    const report = await emulator.report()
    expect(report.mime_mismatches).toBe(2)
    expect(report.violations.map((v) => [v.rule, v.detail])).toEqual([
      ["mime_mismatch", "declared audio/wav, bytes are webm"],
      ["mime_mismatch", "declared audio/wav, bytes are webm"]
    ])
  })
})

describe("limits", () => {
  it("enforces the 10 MB encoded data-URI limit", async () => {
    const big = wav(330, { rate: 8000 }) // ≈ 5.3 MB raw, ≈ 7 MB base64: under the limit, but too long
    const tooBig = wav(400, { rate: 16000 }) // ≈ 12.8 MB raw
    const long = await api.compatible(compatBody(dataUri(big)))
    expect(long.status).toBe(400)
    expect(long.json.error.message).toBe(
      "<400> InvalidParameter: The audio is too long. The maximum duration is 300 seconds."
    )
    const large = await api.compatible(compatBody(dataUri(tooBig)))
    expect(large.status).toBe(400)
    expect(large.json.error.message).toContain("exceeds the limit of 10MB")
    expect((await emulator.report()).violations.map((v) => v.rule)).toEqual(["audio_too_long", "data_uri_too_large"])
  })

  it("accepts exactly 300 s", async () => {
    const reply = await api.compatible(compatBody(dataUri(wav(300, { rate: 8000 }))))
    expect(reply.status).toBe(200)
    expect(reply.json.usage.seconds).toBe(300)
    expect(reply.json.usage.prompt_tokens_details.audio_tokens).toBe(7500)
  })

  it("answers 415 for bytes that are not audio", async () => {
    const reply = await api.compatible(compatBody(dataUri(Buffer.from("this is not audio at all"), "audio/wav")))
    expect(reply.status).toBe(415)
    expect(reply.json.error.message).toBe("<415> BadRequest.UnsupportedFileFormat: Input file format is not supported.")
  })

  it("treats undeclared raw PCM (audio/pcm) as 16 kHz mono", async () => {
    const reply = await api.compatible(compatBody(dataUri(Buffer.alloc(32000 * 2), "audio/pcm")))
    expect(reply.status).toBe(200)
    expect(reply.json.usage.seconds).toBe(2)
  })
})
