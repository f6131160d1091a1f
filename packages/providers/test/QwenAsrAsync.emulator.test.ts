import { AudioItem } from "@asrflow/core/AudioItem"
import * as Ledger from "@asrflow/core/Ledger"
import type { Transcriber, TranscriptionError } from "@asrflow/core/Transcriber"
import type { Transcript } from "@asrflow/core/Transcript"
import * as Emulator from "@asrflow/emulator/Emulator"
import type { EmulatorHandle } from "@asrflow/emulator/Emulator"
import type { Report } from "@asrflow/emulator/Report"
import { HttpClient } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Fiber, Layer, Option, Redacted, Schedule } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import * as QwenProvider from "../src/QwenProvider.js"
import type { FileState } from "../src/TaskJournal.js"
import * as Audio from "./utils/Audio.js"
import * as Emulated from "./utils/Emulated.js"

// =============================================================================
// Real audio, made at test time
// =============================================================================

const work = Audio.tempDir("asrflow-async-")

/** espeak-ng speech, resampled to 16 kHz mono and repeated by sox to exactly `seconds`. */
const longSpeech = (file: string, seconds: number, text: string): string => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const speech = `${file}.speech.wav`
  execFileSync("espeak-ng", ["-v", "en-us", "-w", speech, text])
  const spoken = Number(execFileSync("soxi", ["-D", speech]).toString().trim())
  const repeats = Math.max(0, Math.ceil(seconds / spoken) - 1)
  execFileSync("sox", [speech, "-r", "16000", "-c", "1", file, "repeat", String(repeats), "trim", "0", String(seconds)])
  fs.rmSync(speech)
  return file
}

// =============================================================================
// Harness
// =============================================================================

const waitFor = (emulator: EmulatorHandle, until: (report: Report) => boolean) =>
  emulator.report.pipe(
    Effect.repeat({ until, schedule: Schedule.spaced("20 millis") }),
    Effect.asVoid,
    Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new Error("the emulator never reached the state") }),
    Effect.orDie
  )

const assertTimestamps = (transcript: Transcript, durationMs: number) => {
  assert.isAbove(transcript.sentences.length, 0)
  let previousEnd = 0
  for (const sentence of transcript.sentences) {
    assert.isAtLeast(sentence.beginMs, previousEnd)
    assert.isAtMost(sentence.beginMs, sentence.endMs)
    assert.isAtMost(sentence.endMs, durationMs)
    previousEnd = sentence.endMs
  }
}

// =============================================================================
// Tests
// =============================================================================

describe("QwenAsrAsync against the emulator", () => {
  const folder = path.join(work, "folder")
  const long = [
    { file: path.join(folder, "standup.wav"), seconds: 6 * 60, text: "Good morning team, here is the standup." },
    { file: path.join(folder, "review.wav"), seconds: 11 * 60, text: "The quarterly review starts with revenue." },
    { file: path.join(folder, "nested/all hands.wav"), seconds: 20 * 60, text: "Welcome to the all hands." }
  ]

  it.scopedLive(
    "transcribes a folder of long local files: upload, submit, poll, download; one FAILED task fails alone",
    () =>
      Effect.gen(function*() {
        for (const { file, seconds, text } of long) longSpeech(file, seconds, text)
        const broken = longSpeech(path.join(folder, "broken-fail-me.wav"), 30, "This one is forced to fail.")
        const emulator = yield* Emulator.make(Emulated.fastEmulator({
          fail_tasks_matching: [{ pattern: "fail-me", code: "FILE_403_FORBIDDEN", message: "FILE_403_FORBIDDEN" }]
        }))
        const transcriber = yield* Emulated.transcriberFor(emulator, { timestamp_granularities: ["sentence", "word"] })
        const items = [
          ...long.map(({ file, seconds }) => Emulated.fileItem(file, seconds * 1000)),
          Emulated.fileItem(broken, 30_000)
        ]
        const results = yield* Effect.forEach(items, (item) => Effect.either(transcriber.transcribe(item)), {
          concurrency: "unbounded"
        })

        for (const [index, { seconds }] of long.entries()) {
          const result = results[index]!
          assert.isTrue(Either.isRight(result), Either.isLeft(result) ? result.left.message : "")
          const transcript = Either.getOrThrow(result)
          assert.strictEqual(transcript.status, "SUCCEEDED")
          assert.isDefined(transcript.taskId)
          assert.isAbove(transcript.text.length, 0)
          assert.strictEqual(transcript.usageSeconds, seconds)
          assertTimestamps(transcript, seconds * 1000)
          assert.isTrue(transcript.sentences.every((s) => s.words !== undefined && s.words.length > 0))
          assert.deepStrictEqual(transcript.evidence.map((e) => e.phase), ["submit", "poll", "result"])
        }
        const failed = results[3]!
        assert.isTrue(Either.isLeft(failed))
        const error = (failed as Either.Left<TranscriptionError, Transcript>).left
        assert.strictEqual(error.reason, "TaskFailed")
        assert.strictEqual(error.code, "FILE_403_FORBIDDEN")
        assert.include(error.message, "FILE_403_FORBIDDEN")

        const report = yield* emulator.report
        assert.deepStrictEqual(report.violations, [])
        assert.strictEqual(report.key_leaks, 0)
        assert.strictEqual(report.uploads.length, 4)
        assert.deepStrictEqual(Object.values(report.submissions_per_audio), [1, 1, 1, 1])
        assert.isTrue(report.uploads.every((upload) => upload.model === "qwen3-asr-flash-filetrans"))
        // one policy served every upload
        assert.strictEqual(report.requests["policy"], 1)
      }),
    { timeout: 180_000 }
  )

  it.scopedLive("without enable_words, sentences carry no words", () =>
    Effect.gen(function*() {
      const file = Emulated.toneWav(path.join(work, "words/plain.wav"), 1, 4)
      const emulator = yield* Emulator.make(
        Emulated.fastEmulator({ transcripts: { "plain.wav": "One sentence. Two sentences." } })
      )
      const transcriber = yield* Emulated.transcriberFor(emulator)
      const transcript = yield* transcriber.transcribe(Emulated.fileItem(file, 4000))
      assert.isAbove(transcript.sentences.length, 0)
      assert.isTrue(transcript.sentences.every((s) => s.words === undefined))
      assert.deepStrictEqual((yield* emulator.report).violations, [])
    }))

  it.scopedLive("a URL item is submitted as its URL, with no upload", () =>
    Effect.gen(function*() {
      const file = Emulated.toneWav(path.join(work, "served/remote.wav"), 1000, 3)
      const server = yield* Effect.acquireRelease(
        Effect.async<http.Server>((resume) => {
          const server = http.createServer((_, res) => {
            res.writeHead(200, { "content-type": "audio/wav", "content-length": fs.statSync(file).size })
            fs.createReadStream(file).pipe(res)
          })
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
        }),
        (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
      )
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/remote.wav`
      const emulator = yield* Emulator.make(Emulated.fastEmulator())
      const transcriber = yield* Emulated.transcriberFor(emulator, { language_hints: ["en"] })
      const item = new AudioItem({ id: url, source: url, kind: "url", outputKey: "remote", origin: "test" })
      const transcript = yield* transcriber.transcribe(item)
      assert.strictEqual(transcript.status, "SUCCEEDED")
      assert.strictEqual(transcript.language, "en")
      const report = yield* emulator.report
      assert.strictEqual(report.uploads.length, 0)
      assert.strictEqual(report.requests["policy"] ?? 0, 0)
      assert.deepStrictEqual(report.submissions_per_audio, { [url]: 1 })
      assert.deepStrictEqual(report.violations, [])
    }))

  it.scopedLive("an expired result URL is a clear error", () =>
    Effect.gen(function*() {
      const file = Emulated.toneWav(path.join(work, "expired/late.wav"), 2)
      const emulator = yield* Emulator.make(Emulated.fastEmulator())
      // the download happens 25 h "later" on the emulator's clock
      const late = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, (client) =>
          HttpClient.make((request) =>
            (request.url.includes("/__oss/result/") ? emulator.advance(25 * 3600 * 1000) : Effect.void).pipe(
              Effect.zipRight(client.execute(request))
            )
          ))
      ).pipe(Layer.provide(NodeHttpClient.layerUndici))
      const transcriber = yield* Emulated.transcriberFor(emulator, {}, late)
      const error = yield* Effect.flip(transcriber.transcribe(Emulated.fileItem(file, 2000)))
      assert.strictEqual(error.reason, "TaskLost")
      assert.strictEqual(error.code, "ResultExpired")
      assert.isDefined(error.taskId)
      assert.include(error.message, "expired")
      assert.deepStrictEqual((yield* emulator.report).violations, [])
    }))

  it.scopedLive("a submit whose answer is cut off is looked up by listing, then sent once more", () =>
    Effect.gen(function*() {
      const file = Emulated.toneWav(path.join(work, "reset/r.wav"), 700, 2)
      const emulator = yield* Emulator.make(Emulated.fastEmulator({
        faults: [{ endpoint: "submit", kind: "reset", every: 1, limit: 1 }]
      }))
      const transcriber = yield* Emulated.transcriberFor(emulator)
      const transcript = yield* transcriber.transcribe(Emulated.fileItem(file, 2000))
      assert.strictEqual(transcript.status, "SUCCEEDED")
      const report = yield* emulator.report
      assert.strictEqual(report.faults["reset"], 1)
      assert.isAtLeast(report.requests["list"] ?? 0, 1)
      assert.strictEqual(report.requests["submit"], 2)
      assert.deepStrictEqual(Object.values(report.submissions_per_audio), [1])
      assert.deepStrictEqual(report.violations, [])
    }))

  it.scopedLive("a submit accepted but not answered in time is found by listing and never sent twice", () =>
    Effect.gen(function*() {
      const file = Emulated.toneWav(path.join(work, "slow/s.wav"), 800, 2)
      const emulator = yield* Emulator.make(Emulated.fastEmulator({ latency_ms: { submit: 2500 } }))
      const transcriber = yield* Emulated.transcriberFor(emulator, {}, NodeHttpClient.layerUndici, 1000)
      const transcript = yield* transcriber.transcribe(Emulated.fileItem(file, 2000))
      assert.strictEqual(transcript.status, "SUCCEEDED")
      const report = yield* emulator.report
      assert.isAtLeast(report.requests["list"] ?? 0, 1)
      assert.strictEqual(report.requests["submit"], 1)
      assert.deepStrictEqual(Object.values(report.submissions_per_audio), [1])
      assert.deepStrictEqual(report.violations, [])
    }))

  // the 20-per-second pacing itself is asserted on the TestClock ("TaskPoller: keeps 200 tasks in flight under
  // 20 queries in any 1 s window"); here, arrival times at a live server depend on the machine's load
  it.scopedLive(
    "200 tasks in flight all complete through the one shared task-query budget",
    () =>
      Effect.gen(function*() {
        const files = Array.from(
          { length: 200 },
          (_, i) => Emulated.toneWav(path.join(work, `many/tone-${i}.wav`), i, 1)
        )
        const emulator = yield* Emulator.make(Emulated.fastEmulator({ tasks: { pending_ms: 1500, running_ms: 1500 } }))
        const transcriber = yield* Emulated.transcriberFor(emulator, {
          poll: { initial_interval_ms: 100, max_interval_ms: 200, timeout_secs: 300 }
        })
        const transcripts = yield* Effect.forEach(
          files,
          (file) => transcriber.transcribe(Emulated.fileItem(file, 1000)),
          {
            concurrency: "unbounded"
          }
        )
        assert.strictEqual(transcripts.length, 200)
        const report = yield* emulator.report
        assert.strictEqual(report.tasks.submitted, 200)
        assert.deepStrictEqual(report.violations, [])
      }),
    { timeout: 180_000 }
  )

  it.scopedLive(
    "an interrupted run resumes from the ledger: every file completes, each audio submitted once",
    () =>
      Effect.gen(function*() {
        const files = Array.from(
          { length: 20 },
          (_, i) => longSpeech(path.join(work, `crash/meeting-${i}.wav`), 6 * 60, `Meeting number ${i} is now open.`)
        )
        const ledgerFile = path.join(work, "crash/ledger.sqlite")
        // submits answer slowly, so the interrupt lands while some are accepted but not yet answered
        const emulator = yield* Emulator.make(Emulated.fastEmulator({
          tasks: { pending_ms: 500, running_ms: 1000 },
          latency_ms: { submit: 400 }
        }))
        const run = (transcriber: Transcriber.Service, concurrency: number) =>
          Effect.forEach(files, (file) =>
            Emulated.fingerprinted(transcriber, Emulated.fileItem(file, 360_000)).pipe(
              Effect.flatMap((item) => Effect.either(transcriber.transcribe(item)))
            ), { concurrency }).pipe(Effect.provide(Emulated.ledgerLayer(ledgerFile)))

        const first = yield* Emulated.transcriberFor(emulator)
        // 6 at a time: at the interrupt some items are finished, some polling, some mid-submit, some not started
        const fiber = yield* Effect.fork(run(first, 6))
        // wait for some accepted submissions, then stop the run mid-flight
        yield* waitFor(emulator, (report) => report.tasks.submitted >= 8)
        yield* Fiber.interrupt(fiber)
        const afterCrash = yield* emulator.report
        assert.isAtLeast(afterCrash.tasks.submitted, 8)
        assert.isBelow(afterCrash.tasks.submitted, 20 * 2)

        const second = yield* Emulated.transcriberFor(emulator)
        const results = yield* run(second, 20)
        for (const result of results) {
          assert.isTrue(Either.isRight(result), Either.isLeft(result) ? result.left.message : "")
        }
        const report = yield* emulator.report
        assert.strictEqual(Object.keys(report.submissions_per_audio).length, 20)
        assert.deepStrictEqual(Object.values(report.submissions_per_audio), Array(20).fill(1))
        assert.deepStrictEqual(report.violations, [])
        assert.strictEqual(report.key_leaks, 0)
        // the transcriber records tasks; marking items done is the runner's job (after the sinks wrote)
        const first0 = yield* Emulated.fingerprinted(second, Emulated.fileItem(files[0]!, 360_000))
        const { job, upload } = yield* Effect.gen(function*() {
          const ledger = yield* Ledger.Ledger
          return {
            job: yield* ledger.latestJob(first0.fingerprint!, "qwen"),
            upload: yield* ledger.stage(first0.fingerprint!, "upload")
          }
        }).pipe(Effect.provide(Emulated.ledgerLayer(ledgerFile)))
        assert.isTrue(Option.isSome(job))
        assert.strictEqual(Option.getOrThrow(job).status, "submitted")
        assert.isNotNull(Option.getOrThrow(job).remoteId)
        const staged = Option.getOrThrow(upload).state as FileState
        assert.match(staged.fileUrl, /^oss:\/\/dashscope-instant\/.*-meeting-0\.wav$/)
      }),
    { timeout: 300_000 }
  )

  it.scopedLive("uploads again when the recorded upload has expired, and reuses one that is still valid", () =>
    Effect.gen(function*() {
      const file = Emulated.toneWav(path.join(work, "reupload/r.wav"), 900, 2)
      const ledgerFile = path.join(work, "reupload/ledger.sqlite")
      const emulator = yield* Emulator.make(Emulated.fastEmulator())
      const transcriber = yield* Emulated.transcriberFor(emulator)
      const item = yield* Emulated.fingerprinted(transcriber, Emulated.fileItem(file, 2000))
      const fingerprint = item.fingerprint!
      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        const uploadOf = Effect.map(ledger.stage(fingerprint, "upload"), (stage) => {
          const found = Option.getOrThrow(stage)
          return { ...(found.state as FileState), expiresAt: found.expiresAt }
        })
        // a later run finds the item failed: its job ended failed, as a FAILED task leaves it
        const failEarlier = (message: string) =>
          Effect.gen(function*() {
            const job = Option.getOrThrow(yield* ledger.latestJob(fingerprint, "qwen"))
            yield* ledger.endJob(job.jobId, "failed", message)
            yield* ledger.markFailed(fingerprint, item.id, message)
          })
        yield* transcriber.transcribe(item)
        const first = yield* uploadOf
        assert.match(first.fileUrl, /^oss:\/\//)
        assert.isAbove(first.expiresAt!, Date.now() + 47 * 3600 * 1000)

        // a later run: the item failed, and its upload is past its 48 h
        yield* failEarlier("failed before")
        yield* ledger.recordStage(fingerprint, {
          itemId: item.id,
          name: "upload",
          state: { model: "qwen3-asr-flash-filetrans", fileUrl: first.fileUrl } satisfies FileState,
          expiresAt: Date.now() - 1000
        })
        yield* emulator.advance(49 * 3600 * 1000)
        yield* transcriber.transcribe(item)
        const second = yield* uploadOf
        assert.notStrictEqual(second.fileUrl, first.fileUrl)
        assert.strictEqual((yield* emulator.report).uploads.length, 2)

        // still valid: reused, not uploaded again
        yield* failEarlier("failed again")
        yield* transcriber.transcribe(item)
        assert.strictEqual((yield* uploadOf).fileUrl, second.fileUrl)
        const report = yield* emulator.report
        assert.strictEqual(report.uploads.length, 2)
        assert.deepStrictEqual(report.violations, [])
      }).pipe(Effect.provide(Emulated.ledgerLayer(ledgerFile)))
    }))

  it.scopedLive("submit answers at once with the task id, attach waits for it, and a foreign task is recorded", () =>
    Effect.gen(function*() {
      const file = Emulated.toneWav(path.join(work, "attach/a.wav"), 1200, 2)
      const ledgerFile = path.join(work, "attach/ledger.sqlite")
      const emulator = yield* Emulator.make(Emulated.fastEmulator())
      const transcriber = yield* Emulated.transcriberFor(emulator)
      const client = yield* Emulated.clientFor(emulator)
      const item = yield* Emulated.fingerprinted(transcriber, Emulated.fileItem(file, 2000))
      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        const pending = yield* transcriber.submit(item)
        assert.strictEqual(pending.status, "PENDING")
        assert.strictEqual(pending.text, "")
        const taskId = pending.taskId!
        const finished = yield* transcriber.attach(taskId, item)
        assert.strictEqual(finished.status, "SUCCEEDED")
        assert.strictEqual(finished.taskId, taskId)
        const job = Option.getOrThrow(yield* ledger.jobByRemoteId("qwen", taskId))
        assert.deepStrictEqual(job.items.map((owned) => owned.fingerprint), [item.fingerprint])

        // a task submitted elsewhere: `transcribe --task-id` attaches a stand-in item, recorded for a re-run
        const { fileUrl } = Option.getOrThrow(yield* ledger.stage(item.fingerprint!, "upload")).state as FileState
        const foreign = (yield* client.submitTask({
          model: "qwen3-asr-flash-filetrans",
          input: { file_url: fileUrl }
        }, { ossResolve: true })).value.output.task_id
        const standIn = new AudioItem({
          id: foreign,
          source: `task:${foreign}`,
          kind: "url",
          outputKey: foreign,
          origin: "--task-id",
          fingerprint: `task:${foreign}`
        })
        assert.strictEqual((yield* transcriber.attach(foreign, standIn)).taskId, foreign)
        const recorded = Option.getOrThrow(yield* ledger.jobByRemoteId("qwen", foreign))
        assert.deepStrictEqual(recorded.items.map((owned) => owned.fingerprint), [`task:${foreign}`])
        yield* transcriber.attach(foreign, standIn)
        assert.strictEqual(Option.getOrThrow(yield* ledger.jobByRemoteId("qwen", foreign)).jobId, recorded.jobId)
        assert.strictEqual((yield* emulator.report).requests["submit"], 2)

        // once the sinks wrote it, the job is delivered: a forced re-run transcribes again
        assert.isTrue((yield* ledger.openJobs("qwen")).some((open) => open.remoteId === taskId))
        yield* ledger.markDone(item.fingerprint!, item.id)
        assert.isFalse((yield* ledger.openJobs("qwen")).some((open) => open.remoteId === taskId))
        const again = yield* transcriber.transcribe(item)
        assert.notStrictEqual(again.taskId, taskId)
        const report = yield* emulator.report
        assert.strictEqual(report.requests["submit"], 3)
        assert.deepStrictEqual(report.violations, [])
      }).pipe(Effect.provide(Emulated.ledgerLayer(ledgerFile)))
    }))

  it.scopedLive("cancel cancels the PENDING tasks of an unfinished run", () =>
    Effect.gen(function*() {
      const files = Array.from({ length: 3 }, (_, i) => Emulated.toneWav(path.join(work, `cancel/c-${i}.wav`), 500 + i))
      const ledgerFile = path.join(work, "cancel/ledger.sqlite")
      const emulator = yield* Emulator.make(Emulated.fastEmulator({ tasks: { pending_ms: 600_000, running_ms: 100 } }))
      const transcriber = yield* Emulated.transcriberFor(emulator)
      const fiber = yield* Effect.fork(
        Effect.forEach(files, (file) =>
          Emulated.fingerprinted(transcriber, Emulated.fileItem(file, 2000)).pipe(Effect.flatMap((item) =>
            transcriber.transcribe(item)
          )), {
          concurrency: 3
        }).pipe(Effect.provide(Emulated.ledgerLayer(ledgerFile)))
      )
      yield* waitFor(emulator, (report) =>
        report.tasks.submitted >= 3)
      yield* Effect.sleep("200 millis")
      yield* Fiber.interrupt(fiber)

      const outcome = yield* QwenProvider.component.cancel!(
        Emulated.asyncConfig({ base_url: { native: emulator.nativeBaseUrl } }),
        { key: Redacted.make(emulator.apiKey), source: "option" }
      ).pipe(
        Effect.provide(Layer.mergeAll(Emulated.ledgerLayer(ledgerFile), NodeHttpClient.layerUndici, NodeContext.layer))
      )
      assert.strictEqual(outcome.cancelled.length, 3)
      assert.deepStrictEqual(outcome.kept, [])
      assert.strictEqual((yield* emulator.report).tasks.canceled, 3)
      const { failed, open } = yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        const items = yield* Effect.forEach(files, (file) =>
          Emulated.fingerprinted(transcriber, Emulated.fileItem(file, 2000)))
        const records = yield* Effect.forEach(items, (item) =>
          ledger.item(item.fingerprint!))
        return {
          open: yield* ledger.openJobs("qwen"),
          failed: records.filter((record) =>
            Option.getOrThrow(record).status === "failed"
          ).length
        }
      }).pipe(Effect.provide(Emulated.ledgerLayer(ledgerFile)))
      assert.strictEqual(open.length, 0)
      // cancelled items are failed, so the next run submits them again
      assert.strictEqual(failed, 3)
    }))
})
