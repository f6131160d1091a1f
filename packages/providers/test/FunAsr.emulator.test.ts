import type { AudioItem } from "@asrflow/core/AudioItem"
import * as Ledger from "@asrflow/core/Ledger"
import type { TranscriptionError } from "@asrflow/core/Transcriber"
import type { Transcript } from "@asrflow/core/Transcript"
import * as Emulator from "@asrflow/emulator/Emulator"
import { NodeHttpClient } from "@effect/platform-node"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer, Option, Redacted } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Cancel from "../src/Cancel.js"
import * as Audio from "./utils/Audio.js"
import * as Emulated from "./utils/Emulated.js"

const work = Audio.tempDir("asrflow-funasr-")

/** `count` short distinct local WAVs (0.5 s tones) as probed items with unique ids. */
const shortFiles = (dir: string, count: number): Array<AudioItem> =>
  Array.from({ length: count }, (_, index) => {
    const file = Emulated.toneWav(path.join(dir, `clip-${String(index).padStart(3, "0")}.wav`), index, 1)
    return Emulated.fileItem(file, 1000)
  })

const ledgerLayer = (file: string) =>
  Ledger.layer().pipe(Layer.provide(SqliteClient.layer({ filename: file })), Layer.orDie)

const rights = (results: ReadonlyArray<Either.Either<Transcript, TranscriptionError>>) =>
  results.filter(Either.isRight).map((result) => result.right)

describe("FunAsrTranscriber against the emulator", () => {
  it.scopedLive(
    "250 short local files through paraformer-v2 go out in 3 submits of at most 100 files",
    () =>
      Effect.gen(function*() {
        const items = shortFiles(path.join(work, "many"), 250)
        const emulator = yield* Emulator.make(Emulated.fastEmulator())
        // a long linger: a batch that is not full waits for stragglers even on a loaded machine
        const transcriber = yield* Emulated.funAsrFor(emulator, { batch: { linger_ms: 3000 } })
        const results = yield* Effect.forEach(items, (item) => Effect.either(transcriber.transcribe(item)), {
          concurrency: 250
        })
        const transcripts = rights(results)
        assert.strictEqual(transcripts.length, 250)
        assert.isTrue(
          transcripts.every((t) => t.status === "SUCCEEDED" && t.text.length > 0 && t.model === "paraformer-v2")
        )
        const report = yield* emulator.report
        assert.deepStrictEqual(report.violations, [])
        assert.deepStrictEqual(report.batches.submits.map((submit) => submit.files), [100, 100, 50])
        assert.strictEqual(report.uploads.length, 250)
        assert.isTrue(report.uploads.every((upload) => upload.model === "paraformer-v2"))
        assert.isTrue(Object.values(report.submissions_per_audio).every((n) => n === 1))
        // the three batch tasks were polled, not 250 tasks
        assert.strictEqual(new Set(transcripts.map((t) => t.taskId)).size, 3)
      }),
    { timeout: 180_000 }
  )

  it.scopedLive("a file that fails inside a batch fails alone", () =>
    Effect.gen(function*() {
      const dir = path.join(work, "one-bad")
      const good = shortFiles(dir, 3)
      const bad = Emulated.fileItem(Emulated.toneWav(path.join(dir, "broken-take.wav"), 99, 1), 1000)
      const emulator = yield* Emulator.make(Emulated.fastEmulator({
        fail_tasks_matching: [{ pattern: "broken-", code: "InvalidFile.DownloadFailed", message: "cannot download" }]
      }))
      const transcriber = yield* Emulated.funAsrFor(emulator)
      const results = yield* Effect.forEach([...good, bad], (item) => Effect.either(transcriber.transcribe(item)), {
        concurrency: "unbounded"
      })
      assert.strictEqual(rights(results).length, 3)
      const failed = results[3]!
      assert.isTrue(Either.isLeft(failed))
      const error = (failed as Either.Left<TranscriptionError, Transcript>).left
      assert.strictEqual(error.reason, "TaskFailed")
      assert.strictEqual(error.code, "InvalidFile.DownloadFailed")
      assert.include(error.message, "cannot download")
      const report = yield* emulator.report
      assert.deepStrictEqual(report.batches.submits.map((submit) => submit.files), [4])
      assert.deepStrictEqual(report.violations, [])
    }))

  it.scopedLive("sends only what the model honours: fun-asr gets the first language hint, no Qwen fields", () =>
    Effect.gen(function*() {
      const [item] = shortFiles(path.join(work, "hints"), 1)
      const emulator = yield* Emulator.make(Emulated.fastEmulator())
      const transcriber = yield* Emulated.funAsrFor(emulator, {
        model: "fun-asr",
        language_hints: ["zh", "en"],
        enable_itn: true,
        context: "Qwen, DashScope",
        speaker_count: 3
      })
      const transcript = yield* transcriber.transcribe(item!)
      assert.deepStrictEqual(transcript.warnings, [
        "fun-asr reads only the first language hint: zh is sent, en not",
        "speaker_count has no effect without diarization_enabled on fun-asr; it is not sent",
        "context is a Qwen option that fun-asr cannot honour; it is not sent (use vocabulary_id for hotwords)",
        "enable_itn is a Qwen option that fun-asr cannot honour (it always normalises); it is not sent"
      ])
      assert.deepStrictEqual((yield* emulator.report).violations, [])
    }))

  it.scopedLive("labels the speakers of two espeak-ng voices taking turns", () =>
    Effect.gen(function*() {
      const dir = path.join(work, "meeting")
      fs.mkdirSync(dir, { recursive: true })
      const say = (voice: string, pitch: string, text: string, name: string) => {
        const raw = path.join(dir, `${name}.raw.wav`)
        execFileSync("espeak-ng", ["-v", voice, "-p", pitch, "-w", raw, text])
        execFileSync("sox", [raw, "-r", "16000", path.join(dir, `${name}.wav`)])
        return path.join(dir, `${name}.wav`)
      }
      const pause = path.join(dir, "pause.wav")
      execFileSync("sox", ["-n", "-r", "16000", "-c", "1", pause, "trim", "0", "0.8"])
      const meeting = path.join(dir, "meeting.wav")
      execFileSync("sox", [
        say("en+m3", "30", "Good morning everyone let us begin", "a"),
        pause,
        say("en+f3", "80", "Thanks I finished the billing report", "b"),
        pause,
        say("en+m3", "30", "Great then we move on to the roadmap", "c"),
        pause,
        say("en+f3", "80", "The roadmap is ready for review", "d"),
        meeting
      ])
      const emulator = yield* Emulator.make(Emulated.fastEmulator({ synthetic_transcripts: "audio" }))
      const transcriber = yield* Emulated.funAsrFor(emulator, { diarization_enabled: true, speaker_count: 2 })
      const transcript = yield* transcriber.transcribe(Emulated.fileItem(meeting, Audio.durationMs(meeting)))
      const speakers = transcript.sentences.map((sentence) => sentence.speakerId)
      assert.deepStrictEqual(speakers.filter((s, i) => i === 0 || s !== speakers[i - 1]), [0, 1, 0, 1])
      assert.deepStrictEqual((yield* emulator.report).violations, [])
    }))

  it.scopedLive("a batch whose submit answer is cut off is found by listing, not submitted again", () =>
    Effect.gen(function*() {
      const items = shortFiles(path.join(work, "cut"), 5)
      const emulator = yield* Emulator.make(Emulated.fastEmulator({
        faults: [{ endpoint: "submit", kind: "truncate", at: [1] }]
      }))
      const transcriber = yield* Emulated.funAsrFor(emulator)
      const results = yield* Effect.forEach(items, (item) => Effect.either(transcriber.transcribe(item)), {
        concurrency: "unbounded"
      })
      assert.strictEqual(rights(results).length, 5)
      const report = yield* emulator.report
      assert.strictEqual(report.requests["submit"], 1)
      assert.isAtLeast(report.requests["list"] ?? 0, 1)
      assert.deepStrictEqual(report.batches.submits.map((submit) => submit.files), [5])
      assert.deepStrictEqual(report.violations, [])
    }))

  it.scopedLive("a re-run re-attaches each item to its recorded batch instead of submitting again", () =>
    Effect.gen(function*() {
      const items = shortFiles(path.join(work, "rerun"), 6)
      const ledger = ledgerLayer(path.join(work, "rerun.sqlite"))
      const emulator = yield* Emulator.make(Emulated.fastEmulator())
      const first = yield* Emulated.funAsrFor(emulator)
      const fingerprinted = yield* Effect.forEach(items, (item) => Emulated.fingerprinted(first, item))
      // the first run only submits (as a run killed after its submit would have)
      const pending = yield* Effect.forEach(fingerprinted, (item) => first.submit!(item), { concurrency: "unbounded" })
        .pipe(Effect.provide(ledger))
      assert.isTrue(pending.every((t) => t.status === "PENDING"))
      const second = yield* Emulated.funAsrFor(emulator)
      const done = yield* Effect.forEach(fingerprinted, (item) => second.transcribe(item), { concurrency: "unbounded" })
        .pipe(Effect.provide(ledger))
      assert.isTrue(done.every((t) => t.status === "SUCCEEDED" && t.taskId === pending[0]!.taskId))
      const report = yield* emulator.report
      assert.deepStrictEqual(report.batches.submits.map((submit) => submit.files), [6])
      assert.deepStrictEqual(report.violations, [])
    }))

  it.scopedLive("cancel cancels a PENDING batch and marks its items failed, so a re-run submits them again", () =>
    Effect.gen(function*() {
      const items = shortFiles(path.join(work, "cancel"), 3)
      const ledger = ledgerLayer(path.join(work, "cancel.sqlite"))
      const emulator = yield* Emulator.make(Emulated.fastEmulator({ tasks: { pending_ms: 3_600_000 } }))
      const transcriber = yield* Emulated.funAsrFor(emulator)
      const fingerprinted = yield* Effect.forEach(items, (item) => Emulated.fingerprinted(transcriber, item))
      const pending = yield* Effect.forEach(fingerprinted, (item) => transcriber.submit!(item), {
        concurrency: "unbounded"
      }).pipe(Effect.provide(ledger))
      const config = Emulated.funAsrConfig({ base_url: { native: emulator.nativeBaseUrl } })
      const outcome = yield* Cancel.make("funasr")(config, { key: Redacted.make(emulator.apiKey), source: "test" })
        .pipe(
          Effect.provide(Layer.merge(ledger, NodeHttpClient.layerUndici))
        )
      assert.deepStrictEqual(outcome.cancelled, [pending[0]!.taskId!])
      const statuses = yield* Effect.forEach(
        fingerprinted,
        (item) => Effect.flatMap(Ledger.Ledger, (l) => l.item(item.fingerprint!))
      ).pipe(Effect.provide(ledger))
      assert.deepStrictEqual(statuses.map((record) => Option.getOrThrow(record).status), ["failed", "failed", "failed"])
      assert.deepStrictEqual((yield* emulator.report).violations, [])
    }))
})
