import * as Ledger from "@asrflow/core/Ledger"
import * as Emulator from "@asrflow/emulator/Emulator"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as path from "node:path"
import type { FileState } from "../src/TaskJournal.js"
import * as Audio from "./utils/Audio.js"
import * as Emulated from "./utils/Emulated.js"

const work = Audio.tempDir("asrflow-cutoff-")

/** A fresh item, its transcriber against a fresh emulator, and its ledger in a file of its own. */
const setup = (name: string, faults: ReadonlyArray<Record<string, unknown>>, index: number) =>
  Effect.gen(function*() {
    const file = Emulated.toneWav(path.join(work, name, "a.wav"), index, 2)
    const emulator = yield* Emulator.make(Emulated.fastEmulator({ faults: faults as never }))
    const transcriber = yield* Emulated.transcriberFor(emulator)
    const item = yield* Emulated.fingerprinted(transcriber, Emulated.fileItem(file, 2000))
    return { emulator, transcriber, item, ledger: Emulated.ledgerLayer(path.join(work, name, "ledger.sqlite")) }
  })

const recordedUpload = (fingerprint: string) =>
  Effect.flatMap(
    Ledger.Ledger,
    (ledger) =>
      Effect.map(ledger.stage(fingerprint, "upload"), Option.map((stage) => (stage.state as FileState).fileUrl))
  )

describe("cut-off transfers against the emulator", () => {
  it.scopedLive("an upload whose reply is cut off after its headers is not counted: it is uploaded again", () =>
    Effect.gen(function*() {
      const { emulator, item, ledger, transcriber } = yield* setup(
        "upload-cut",
        [{ endpoint: "upload", kind: "truncate", at: [1], truncate_at: 0 }],
        901
      )
      yield* Effect.gen(function*() {
        const transcript = yield* transcriber.transcribe(item)
        assert.strictEqual(transcript.status, "SUCCEEDED")
        const report = yield* emulator.report
        assert.strictEqual(report.counts["upload truncated"], 1)
        // the cut-off upload stored nothing; the one recorded and submitted is the second
        assert.strictEqual(report.uploads.length, 1)
        const recorded = Option.getOrThrow(yield* recordedUpload(item.fingerprint!))
        assert.strictEqual(recorded, `oss://${report.uploads[0]!.key}`)
        assert.deepStrictEqual(Object.values(report.submissions_per_audio), [1])
        assert.deepStrictEqual(report.violations, [])
      }).pipe(Effect.provide(ledger))
    }))

  it.scopedLive("a submit that says the upload is gone forgets it and uploads once more; never in a loop", () =>
    Effect.gen(function*() {
      const { emulator, item, ledger, transcriber } = yield* setup(
        "oss-missing",
        [{ endpoint: "submit", kind: "oss_missing", at: [1] }],
        902
      )
      yield* Effect.gen(function*() {
        const transcript = yield* transcriber.transcribe(item)
        assert.strictEqual(transcript.status, "SUCCEEDED")
        let report = yield* emulator.report
        assert.strictEqual(report.uploads.length, 2)
        assert.strictEqual(report.faults["oss_missing"], 1)
        assert.strictEqual(
          Option.getOrThrow(yield* recordedUpload(item.fingerprint!)),
          `oss://${report.uploads[1]!.key}`
        )

        // twice in a row: one fresh upload only, then the item fails with the service's words
        yield* emulator.setConfig({ faults: [{ endpoint: "submit", kind: "oss_missing", at: [1, 2] }] })
        yield* Effect.flatMap(Ledger.Ledger, (ledger) => ledger.markFailed(item.fingerprint!, item.id, "again"))
        const other = Emulated.fileItem(
          Emulated.toneWav(path.join(work, "oss-missing", "b.wav"), 903, 2),
          2000
        )
        const second = yield* Emulated.fingerprinted(transcriber, other)
        const failed = yield* Effect.flip(transcriber.transcribe(second))
        assert.strictEqual(failed.reason, "InvalidRequest")
        assert.include(failed.message, "oss resource does not exist")
        report = yield* emulator.report
        assert.strictEqual(report.uploads.length, 4)
        // no dead URL is left recorded for the next run to send again
        assert.isTrue(Option.isNone(yield* recordedUpload(second.fingerprint!)))
        // the next run, with the service healthy: the item is uploaded afresh and completes
        yield* emulator.setConfig({ faults: [] })
        assert.strictEqual((yield* transcriber.transcribe(second)).status, "SUCCEEDED")
        report = yield* emulator.report
        assert.strictEqual(report.uploads.length, 5)
        assert.deepStrictEqual(report.violations, [])
      }).pipe(Effect.provide(ledger))
    }))

  it.scopedLive("a result download cut off is read again; still cut off after the retries, the task is named", () =>
    Effect.gen(function*() {
      const { emulator, item, ledger, transcriber } = yield* setup(
        "result-cut",
        [{ endpoint: "result", kind: "truncate", at: [1] }],
        904
      )
      yield* Effect.gen(function*() {
        assert.strictEqual((yield* transcriber.transcribe(item)).status, "SUCCEEDED")
        assert.strictEqual((yield* emulator.report).counts["result truncated"], 1)

        // every download cut off: the item fails naming its task, and the task stays recorded
        yield* emulator.setConfig({ faults: [{ endpoint: "result", kind: "truncate" }] })
        const other = yield* Emulated.fingerprinted(
          transcriber,
          Emulated.fileItem(Emulated.toneWav(path.join(work, "result-cut", "b.wav"), 905, 2), 2000)
        )
        const failed = yield* Effect.flip(transcriber.transcribe(other))
        assert.strictEqual(failed.reason, "Transport")
        assert.isDefined(failed.taskId)
        assert.include(failed.message, `task ${failed.taskId}`)
        assert.include(failed.message, "the result download was cut off")
        // the next run re-attaches to the task: nothing is submitted twice
        yield* emulator.setConfig({ faults: [] })
        assert.strictEqual((yield* transcriber.transcribe(other)).taskId, failed.taskId)
        const report = yield* emulator.report
        assert.deepStrictEqual([...new Set(Object.values(report.submissions_per_audio))], [1])
        assert.deepStrictEqual(report.violations, [])
      }).pipe(Effect.provide(ledger))
    }))
})
