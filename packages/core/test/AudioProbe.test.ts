import { Command, FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import * as AudioFormat from "../src/AudioFormat.js"
import { AudioItem } from "../src/AudioItem.js"
import * as AudioProbe from "../src/AudioProbe.js"
import * as TestAudio from "./utils/audio.js"

const fileItem = (file: string) =>
  new AudioItem({ id: file, source: file, kind: "file", outputKey: "x", origin: "test" })

const expected: Record<string, { readonly container: string; readonly mime: string }> = {
  wav: { container: "wav", mime: "audio/wav" },
  mp3: { container: "mp3", mime: "audio/mpeg" },
  mp3_bare: { container: "mp3", mime: "audio/mpeg" },
  flac: { container: "flac", mime: "audio/flac" },
  ogg: { container: "ogg", mime: "audio/ogg" },
  opus: { container: "opus", mime: "audio/ogg" },
  m4a: { container: "m4a", mime: "audio/mp4" },
  webm: { container: "webm", mime: "audio/webm" },
  aac: { container: "aac", mime: "audio/aac" },
  amr: { container: "amr", mime: "audio/amr" }
}

const TestLayer = Layer.mergeAll(AudioProbe.AudioProbe.Default, TestAudio.layer).pipe(
  Layer.provideMerge(NodeContext.layer)
)

layer(TestLayer, { timeout: 120_000 })("AudioProbe", (it) => {
  it.effect("sniffs real files made with espeak-ng and ffmpeg: container, MIME, size and duration", () =>
    Effect.gen(function*() {
      const audio = yield* TestAudio.TestAudio
      const fs = yield* FileSystem.FileSystem
      const probed: Array<string> = []
      for (const [name, file] of Object.entries(audio.files)) {
        const item = yield* AudioProbe.AudioProbe.probe(fileItem(file))
        const reference = yield* TestAudio.ffprobeMs(file)
        const size = Number((yield* fs.stat(file)).size)
        assert.strictEqual(item.container, expected[name].container, name)
        assert.strictEqual(item.mime, expected[name].mime, name)
        assert.strictEqual(item.sizeBytes, size, name)
        assert.isDefined(item.durationMs, name)
        assert.isAtMost(
          Math.abs(item.durationMs! - reference),
          300,
          `${name}: ${item.durationMs} vs ffprobe ${reference}`
        )
        probed.push(name)
      }
      // every format this machine can encode was checked; only missing encoders are skipped
      for (const name of Object.keys(expected)) {
        assert.isTrue(probed.includes(name) || name in audio.skipped, `${name} neither probed nor skipped`)
      }
      assert.includeMembers(probed, ["wav", "mp3", "mp3_bare", "flac", "ogg", "opus", "m4a", "webm", "aac"])
      if (Object.keys(audio.skipped).length > 0) {
        yield* Effect.logWarning("skipped formats", audio.skipped)
      }
    }))

  it.effect("takes the container from the bytes, not from a wrong extension", () =>
    Effect.gen(function*() {
      const audio = yield* TestAudio.TestAudio
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const wrong = path.join(audio.dir, "really-an-mp3.wav")
      yield* fs.copyFile(audio.files.mp3, wrong)
      const item = yield* AudioProbe.AudioProbe.probe(fileItem(wrong))
      assert.strictEqual(item.container, "mp3")
      assert.strictEqual(item.mime, "audio/mpeg")
      const noExtension = path.join(audio.dir, "flac-without-extension")
      yield* fs.copyFile(audio.files.flac, noExtension)
      assert.strictEqual((yield* AudioProbe.AudioProbe.probe(fileItem(noExtension))).container, "flac")
    }))

  it.effect("turns empty, non-audio, missing and special files into clear ProbeErrors", () =>
    Effect.gen(function*() {
      const audio = yield* TestAudio.TestAudio
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const file = (name: string) => path.join(audio.dir, name)
      yield* fs.writeFileString(file("notes.wav"), "these are not the bytes you are looking for\n")
      yield* fs.writeFile(
        file("image.mp3"),
        new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
      )
      yield* fs.writeFile(file("empty.wav"), new Uint8Array())
      yield* fs.makeDirectory(file("folder.wav"))
      yield* Command.make("mkfifo", file("pipe.wav")).pipe(Command.exitCode)
      const failure = (name: string) => Effect.flip(AudioProbe.AudioProbe.probe(fileItem(file(name))))

      const text = yield* failure("notes.wav")
      assert.strictEqual(text._tag, "ProbeError")
      assert.strictEqual(text.reason, "NotAudio")
      assert.include(text.message, file("notes.wav"))
      assert.include(text.message, "not a recognised audio file (first bytes: 74 68 65 73 65 20 61 72)")
      assert.strictEqual((yield* failure("image.mp3")).reason, "NotAudio")
      const empty = yield* failure("empty.wav")
      assert.strictEqual(empty.reason, "Empty")
      assert.include(empty.message, "the file is empty (0 bytes)")
      const missing = yield* failure("missing.wav")
      assert.strictEqual(missing.reason, "Unreadable")
      assert.include(missing.message, "does not exist")
      const folder = yield* failure("folder.wav")
      assert.strictEqual(folder.reason, "Unreadable")
      assert.include(folder.message, "not a regular file (Directory)")
      const fifo = yield* failure("pipe.wav")
      assert.strictEqual(fifo.reason, "Unreadable")
      assert.include(fifo.message, "not a regular file (FIFO)")
    }))

  it.effect("accepts raw .pcm by extension only, without MIME or duration", () =>
    Effect.gen(function*() {
      const audio = yield* TestAudio.TestAudio
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const pcm = path.join(audio.dir, "raw.pcm")
      yield* fs.writeFile(pcm, new Uint8Array(3200).map((_, i) => (i * 37) % 251))
      const item = yield* AudioProbe.AudioProbe.probe(fileItem(pcm))
      assert.strictEqual(item.container, "pcm")
      assert.isUndefined(item.mime)
      assert.isUndefined(item.durationMs)
      assert.strictEqual(item.sizeBytes, 3200)
      const notPcm = path.join(audio.dir, "raw.bin")
      yield* fs.copyFile(pcm, notPcm)
      assert.strictEqual((yield* Effect.flip(AudioProbe.AudioProbe.probe(fileItem(notPcm)))).reason, "NotAudio")
    }))

  it.scoped("reports a cut-off file as corrupt before anything is sent; whole files pass", () =>
    Effect.gen(function*() {
      const audio = yield* TestAudio.TestAudio
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped()
      const cut = (name: string) =>
        Effect.gen(function*() {
          const bytes = yield* fs.readFile(audio.files[name]!)
          const file = path.join(dir, `cut-${path.basename(audio.files[name]!)}`)
          yield* fs.writeFile(file, bytes.subarray(0, Math.floor(bytes.length * 0.4)))
          return file
        })
      // WAV: the data chunk announces more than the file holds, seen from the header alone (plans too)
      const wav = yield* Effect.flip(AudioProbe.AudioProbe.probe(fileItem(yield* cut("wav"))))
      assert.strictEqual(wav.reason, "Corrupt")
      assert.match(wav.message, /cut off or corrupt: its header announces \d+\.\d s of audio but it holds \d+\.\d s/)
      // compressed: the header's duration against what ffmpeg can read, checked by verify
      for (const name of ["mp3", "flac"]) {
        const probed = yield* AudioProbe.AudioProbe.probe(fileItem(yield* cut(name)))
        const error = yield* Effect.flip(AudioProbe.AudioProbe.verify(probed))
        assert.strictEqual(error.reason, "Corrupt", name)
        assert.include(error.message, "nothing was sent", name)
      }
      for (const name of ["wav", "mp3", "flac", "ogg", "m4a"]) {
        const whole = yield* AudioProbe.AudioProbe.probe(fileItem(audio.files[name]!))
        assert.strictEqual((yield* AudioProbe.AudioProbe.verify(whole)).durationMs, whole.durationMs, name)
      }
    }))

  it.effect("returns URL items unchanged", () =>
    Effect.gen(function*() {
      const item = new AudioItem({
        id: "https://example.com/a.wav",
        source: "https://example.com/a.wav",
        kind: "url",
        outputKey: "example.com/a",
        origin: "urls"
      })
      assert.strictEqual(yield* AudioProbe.AudioProbe.probe(item), item)
    }))

  it.effect("hands over the bytes of a small file it read whole, so that the hash need not read it again", () =>
    Effect.gen(function*() {
      const audio = yield* TestAudio.TestAudio
      const fs = yield* FileSystem.FileSystem
      const inspected = yield* AudioProbe.AudioProbe.inspect(fileItem(audio.files.wav))
      assert.strictEqual(inspected.item.container, "wav")
      assert.deepStrictEqual(inspected.bytes, yield* fs.readFile(audio.files.wav))
    }))

  it.scoped("answers a plan from the first bytes as the whole-file probe does, for every container, short or long", () =>
    Effect.gen(function*() {
      const audio = yield* TestAudio.TestAudio
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped()
      // 40 s of tone: above the 64 KiB a plan reads whole (a WAV above 1 MiB, which even `inspect` reads in part)
      const long: Record<string, string> = { wav: path.join(dir, "long.wav") }
      yield* Command.make("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=40", long.wav!)
        .pipe(Command.exitCode)
      for (const [name, [file, ...args]] of Object.entries(TestAudio.formats)) {
        if (name in audio.skipped) continue
        const out = path.join(dir, `long-${file}`)
        yield* Command.make("ffmpeg", "-v", "error", "-i", long.wav!, ...args, out).pipe(Command.exitCode)
        long[name] = out
      }
      const fields = (item: AudioItem) => [item.container, item.mime, item.sizeBytes, item.durationMs]
      const compared: Array<string> = []
      for (const [set, files] of [["short", audio.files], ["long", long]] as const) {
        for (const [name, file] of Object.entries(files)) {
          const planned = yield* AudioProbe.AudioProbe.probe(fileItem(file))
          const whole = yield* AudioProbe.AudioProbe.inspect(fileItem(file))
          assert.deepStrictEqual(fields(planned), fields(whole.item), `${set} ${name}`)
          assert.isDefined(planned.durationMs, `${set} ${name}`)
          compared.push(`${set} ${name}`)
        }
      }
      assert.includeMembers(compared, ["short wav", "short flac", "long wav", "long mp3", "long flac", "long m4a"])
      assert.isAbove(Number((yield* fs.stat(long.flac!)).size), 64 * 1024)
    }))

  it.scoped("reads a long WAV or FLAC for a plan from its first bytes only, not whole", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped()
      const wav = path.join(dir, "long.wav")
      const flac = path.join(dir, "long.flac")
      yield* Command.make("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", wav, "synth", "20", "sine", "300-900")
        .pipe(Command.exitCode)
      yield* Command.make("sox", wav, flac).pipe(Command.exitCode)
      // every read through the file system is counted: whole-file reads and streamed ones by path
      const whole: Array<string> = []
      const counting = Layer.effect(
        FileSystem.FileSystem,
        Effect.map(FileSystem.FileSystem, (real) =>
          FileSystem.FileSystem.of({
            ...real,
            readFile: (file) => Effect.zipRight(Effect.sync(() => whole.push(file)), real.readFile(file)),
            stream: (file, options) => Stream.ensuring(real.stream(file, options), Effect.sync(() => whole.push(file)))
          }))
      )
      const probe = AudioProbe.AudioProbe.Default.pipe(
        Layer.provide(counting),
        Layer.provide(NodeContext.layer)
      )
      const [wavItem, flacItem] = yield* Effect.all([
        AudioProbe.AudioProbe.probe(fileItem(wav)),
        AudioProbe.AudioProbe.probe(fileItem(flac))
      ]).pipe(Effect.provide(probe))
      assert.deepStrictEqual(whole, [], "a plan reads neither file whole")
      assert.strictEqual(wavItem.durationMs, 20_000)
      assert.strictEqual(flacItem.durationMs, 20_000)
      // the whole-file probe of the run reads the FLAC (under 1 MiB) whole and finds the same duration
      const inspected = yield* AudioProbe.AudioProbe.inspect(fileItem(flac)).pipe(Effect.provide(probe))
      assert.deepStrictEqual(whole, [flac])
      assert.strictEqual(inspected.item.durationMs, 20_000)
    }))

  it.effect("reads durations with ffprobe when asked directly", () =>
    Effect.gen(function*() {
      const audio = yield* TestAudio.TestAudio
      const ms = yield* AudioProbe.ffprobeDurationMs(audio.files.m4a)
      assert.isDefined(ms)
      assert.strictEqual(ms, yield* TestAudio.ffprobeMs(audio.files.m4a))
      assert.isUndefined(yield* AudioProbe.ffprobeDurationMs("/no/such/file.m4a"))
    }))
})

describe("AudioFormat.detect", () => {
  const bytes = (...parts: Array<string | ReadonlyArray<number>>) =>
    new Uint8Array(
      parts.flatMap((part) => typeof part === "string" ? Array.from(part, (c) => c.charCodeAt(0)) : [...part])
    )
  const sniff = AudioFormat.detect

  it.effect("recognises headers whose encoders may be missing here (AMR) and edge cases by their bytes", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* sniff(bytes("#!AMR\n", [0x3c])), "amr")
      assert.strictEqual(yield* sniff(bytes("#!AMR-WB\n")), "amr")
      assert.strictEqual(yield* sniff(bytes("RF64", [0, 0, 0, 0], "WAVE")), "wav")
      // ADTS (layer bits 00) versus an MPEG-1 Layer III frame
      assert.strictEqual(yield* sniff(bytes([0xff, 0xf1, 0x50, 0x80])), "aac")
      assert.strictEqual(yield* sniff(bytes([0xff, 0xfb, 0x90, 0x64])), "mp3")
      // an ID3 tag in front of FLAC or ADTS
      const id3 = [0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0]
      assert.strictEqual(yield* sniff(bytes(id3, "fLaC")), "flac")
      assert.strictEqual(yield* sniff(bytes(id3, [0xff, 0xf1, 0x50, 0x80])), "aac")
      assert.strictEqual(yield* sniff(bytes(id3, [0xff, 0xfb, 0x90, 0x64])), "mp3")
      // ISO BMFF images are not audio
      assert.isUndefined(yield* sniff(bytes([0, 0, 0, 0x18], "ftypheic")))
      assert.strictEqual(yield* sniff(bytes([0, 0, 0, 0x18], "ftypM4A ")), "m4a")
      assert.isUndefined(yield* sniff(bytes("%PDF-1.7")))
      assert.isUndefined(yield* sniff(bytes([0xff, 0xff, 0xff, 0xff])))
      assert.isUndefined(yield* sniff(new Uint8Array()))
    }))
})
