import { AudioItem, AudioProbe } from "@asrflow/core"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as NodeFileHeads from "../src/NodeFileHeads.js"
import { tempDir } from "./utils/Cli.js"

const work = tempDir("asrflow-file-heads-")

const fileItem = (file: string) =>
  new AudioItem.AudioItem({ id: file, source: file, kind: "file", outputKey: "x", origin: "test" })

// the probe as the CLI builds it (Node's file calls), and as any FileSystem gives it
const withHeads = AudioProbe.AudioProbe.Default.pipe(
  Layer.provide(NodeFileHeads.layer),
  Layer.provideMerge(NodeContext.layer)
)
const withoutHeads = AudioProbe.AudioProbe.Default.pipe(Layer.provideMerge(NodeContext.layer))

const outcome = (file: string) => (probe: typeof withHeads) =>
  AudioProbe.AudioProbe.probe(fileItem(file)).pipe(
    Effect.either,
    Effect.map(Either.match({
      onLeft: (error) => `${error.reason}: ${error.message}`,
      onRight: (item) => `${item.container} ${item.mime} ${item.sizeBytes} bytes ${item.durationMs} ms`
    })),
    Effect.provide(probe)
  )

// what a run's probe gives: the item, the bytes it read whole (their sha256) and the file's stamp
const inspected = (file: string) => (probe: typeof withHeads) =>
  AudioProbe.AudioProbe.inspect(fileItem(file)).pipe(
    Effect.either,
    Effect.map(Either.match({
      onLeft: (error) => `${error.reason}: ${error.message}`,
      onRight: ({ bytes, item, stamp }) =>
        JSON.stringify({
          item: `${item.container} ${item.mime} ${item.sizeBytes} bytes ${item.durationMs} ms`,
          bytes: bytes === undefined ? undefined : createHash("sha256").update(bytes).digest("hex"),
          stamp
        })
    })),
    Effect.provide(probe)
  )

describe("NodeFileHeads", () => {
  it.effect("gives a plan's probe and a run's the answers the platform's FileSystem gives, and never waits on a FIFO", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(work, "case-"))
      const file = (name: string) => path.join(dir, name)
      const sox = (...args: Array<string>) => execFileSync("sox", args)
      const ffmpeg = (...args: Array<string>) => execFileSync("ffmpeg", ["-v", "error", ...args])
      // short files are read whole, long ones (over 64 KiB) from their first bytes
      sox("-n", "-r", "16000", "-c", "1", "-b", "16", file("short.wav"), "synth", "0.6", "sine", "440")
      sox("-n", "-r", "16000", "-c", "1", "-b", "16", file("long.wav"), "synth", "20", "sine", "300-900")
      sox("-n", "-r", "16000", "-c", "1", "-b", "16", file("huge.wav"), "synth", "40", "sine", "300-900")
      sox(file("long.wav"), file("long.flac"))
      ffmpeg("-i", file("short.wav"), file("short.mp3"))
      ffmpeg("-i", file("long.wav"), file("long.mp3"))
      ffmpeg("-i", file("long.wav"), "-c:a", "libopus", file("long.ogg"))
      fs.writeFileSync(file("notes.wav"), "these are not the bytes you are looking for\n")
      fs.writeFileSync(file("empty.wav"), "")
      fs.mkdirSync(file("folder.wav"))
      execFileSync("mkfifo", [file("pipe.wav")])
      const names = [
        "short.wav",
        "long.wav",
        "huge.wav",
        "long.flac",
        "short.mp3",
        "long.mp3",
        "long.ogg",
        "notes.wav",
        "empty.wav",
        "folder.wav",
        "pipe.wav",
        "missing.wav"
      ]
      const answers: Record<string, string> = {}
      for (const name of names) {
        const fast = yield* outcome(file(name))(withHeads)
        assert.strictEqual(fast, yield* outcome(file(name))(withoutHeads), name)
        answers[name] = fast
        // a run's probe too: the same item, the same bytes read whole (a file of up to 1 MiB), the same stamp
        const run = yield* inspected(file(name))(withHeads)
        assert.strictEqual(run, yield* inspected(file(name))(withoutHeads), name)
        answers[`run ${name}`] = run
      }
      const stat = fs.statSync(file("short.wav"))
      assert.deepStrictEqual(JSON.parse(answers["run short.wav"]!).stamp, {
        path: file("short.wav"),
        sizeBytes: stat.size,
        mtimeMs: stat.mtime.getTime(),
        inode: String(stat.ino)
      })
      assert.strictEqual(
        JSON.parse(answers["run short.wav"]!).bytes,
        createHash("sha256").update(fs.readFileSync(file("short.wav"))).digest("hex")
      )
      assert.isUndefined(JSON.parse(answers["run huge.wav"]!).bytes, "over 1 MiB: not held")
      assert.match(answers["long.wav"]!, /^wav audio\/wav \d+ bytes 20000 ms$/)
      assert.match(answers["long.flac"]!, /^flac audio\/flac \d+ bytes 20000 ms$/)
      assert.match(answers["long.mp3"]!, /^mp3 audio\/mpeg \d+ bytes \d+ ms$/)
      assert.match(answers["notes.wav"]!, /^NotAudio: .*not a recognised audio file/)
      assert.match(answers["empty.wav"]!, /^Empty: .*the file is empty/)
      assert.match(answers["folder.wav"]!, /^Unreadable: .*not a regular file \(Directory\)/)
      assert.match(answers["pipe.wav"]!, /^Unreadable: .*not a regular file \(FIFO\)/)
      assert.match(answers["missing.wav"]!, /^Unreadable: .*the file does not exist/)
    }))
})
