import * as Ledger from "@asrflow/core/Ledger"
import * as Emulator from "@asrflow/emulator/Emulator"
import { NodeContext } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as DashScopeClient from "../src/DashScopeClient.js"
import type { FileState } from "../src/TaskJournal.js"
import * as TempUpload from "../src/TempUpload.js"
import * as Audio from "./utils/Audio.js"
import * as Emulated from "./utils/Emulated.js"

const work = Audio.tempDir("asrflow-legacy-")

// =============================================================================
// The 0.1 layout, as asrflow 0.1 wrote it (packages/core/src/Ledger.ts at d82b50e)
// =============================================================================

const legacyTable = `CREATE TABLE IF NOT EXISTS asrflow_ledger (
    fingerprint TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    model TEXT,
    status TEXT NOT NULL,
    file_url TEXT,
    file_url_expires_at BIGINT,
    task_id TEXT,
    submit_started_at BIGINT,
    submitted_at BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    updated_at BIGINT NOT NULL
  )`

type LegacyRow = Record<string, string | number | null>

const writeLegacyLedger = (file: string, rows: ReadonlyArray<LegacyRow>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(legacyTable)
    for (const row of rows) yield* sql`INSERT INTO asrflow_ledger ${sql.insert(row)}`
  }).pipe(Effect.provide(SqliteClient.layer({ filename: file })), Effect.orDie)

const sha256 = (bytes: string | Buffer) => createHash("sha256").update(bytes).digest("hex")

/** The 0.1 fingerprint: the audio's sha256, then a hash of the request key and the output key. */
const legacyFingerprint = (file: string, requestKey: string) =>
  `${sha256(fs.readFileSync(file))}.${sha256(`${requestKey}\u0000${path.basename(file, ".wav")}`).slice(0, 16)}`

const model = "qwen3-asr-flash-filetrans"
const hour = 3600 * 1000

// =============================================================================
// Tests
// =============================================================================

describe("the qwen provider's ledger migration", () => {
  it.scopedLive(
    "imports a 0.1 ledger; the resumed run skips the done item, reuses the upload and re-attaches both tasks",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make(Emulated.fastEmulator({ tasks: { pending_ms: 200, running_ms: 200 } }))
        const names = ["done", "uploaded", "submitting", "submitted"] as const
        const files = names.map((name, index) => Emulated.toneWav(path.join(work, `audio/${name}.wav`), 40 + index))
        const [doneFile, uploadedFile, submittingFile, submittedFile] = files as [string, string, string, string]

        // what the 0.1 run did before it was killed, done for real against the emulator: three uploads,
        // one submit whose answer was lost, one submit whose task id was recorded
        const client = yield* Emulated.clientFor(emulator)
        const stager = yield* TempUpload.make({ retry: Emulated.asyncConfig().retry }).pipe(
          Effect.provideService(DashScopeClient.DashScopeClient, client),
          Effect.provide(NodeContext.layer)
        )
        const [uploaded, submitting, submitted] = yield* Effect.forEach(
          [uploadedFile, submittingFile, submittedFile],
          (file) => stager.stage(file, { model, mime: "audio/wav" })
        )
        const submitTask = (fileUrl: string) =>
          Effect.map(
            client.submitTask({ model, input: { file_url: fileUrl } }, { ossResolve: true }),
            (answer) => answer.value.output.task_id
          )
        const lostTaskId = yield* submitTask(submitting!.fileUrl)
        const keptTaskId = yield* submitTask(submitted!.fileUrl)

        const requestKey = "{\"model\":\"qwen3-asr-flash-filetrans\"}"
        const fingerprintOf = (file: string) => legacyFingerprint(file, requestKey)
        const now = Date.now()
        const row = (file: string, fields: LegacyRow): LegacyRow => ({
          fingerprint: fingerprintOf(file),
          item_id: path.basename(file),
          model,
          file_url: null,
          file_url_expires_at: null,
          task_id: null,
          submit_started_at: null,
          submitted_at: null,
          attempts: 0,
          error: null,
          updated_at: now,
          ...fields
        })
        const ledgerFile = path.join(work, "ledger.sqlite")
        yield* writeLegacyLedger(ledgerFile, [
          row(doneFile, {
            status: "done",
            file_url: "oss://dashscope-instant/gone/done.wav",
            file_url_expires_at: now + 40 * hour,
            task_id: "task-of-a-done-item",
            submit_started_at: now - 2 * hour,
            submitted_at: now - 2 * hour,
            attempts: 1
          }),
          row(uploadedFile, {
            status: "uploaded",
            file_url: uploaded!.fileUrl,
            file_url_expires_at: uploaded!.expiresAt
          }),
          row(submittingFile, {
            status: "submitting",
            file_url: submitting!.fileUrl,
            file_url_expires_at: submitting!.expiresAt,
            submit_started_at: now - 5_000,
            attempts: 1
          }),
          row(submittedFile, {
            status: "submitted",
            file_url: submitted!.fileUrl,
            file_url_expires_at: submitted!.expiresAt,
            task_id: keptTaskId,
            submit_started_at: now - 4_000,
            submitted_at: now - 3_000,
            attempts: 1
          })
        ])

        // the import, read back through the ledger service (twice: the migration runs once)
        const imported = yield* Effect.gen(function*() {
          const ledger = yield* Ledger.Ledger
          return {
            items: yield* Effect.forEach(files, (file) => ledger.item(fingerprintOf(file))),
            uploads: yield* Effect.forEach(files, (file) => ledger.stage(fingerprintOf(file), "upload")),
            jobs: yield* Effect.forEach(files, (file) => ledger.latestJob(fingerprintOf(file), "qwen")),
            open: yield* ledger.openJobs("qwen"),
            byTask: yield* ledger.jobByRemoteId("qwen", keptTaskId)
          }
        }).pipe(Effect.provide(Emulated.ledgerLayer(ledgerFile)))
        const again = yield* Effect.flatMap(Ledger.Ledger, (ledger) => ledger.openJobs("qwen")).pipe(
          Effect.provide(Emulated.ledgerLayer(ledgerFile))
        )
        assert.strictEqual(again.length, 2)

        assert.deepStrictEqual(
          imported.items.map((item) => [Option.getOrThrow(item).status, Option.getOrThrow(item).attempts]),
          [["done", 1], ["running", 0], ["running", 1], ["running", 1]]
        )
        const stages = imported.uploads.map((stage) =>
          Option.map(stage, (found) => ({ state: found.state as FileState, expiresAt: found.expiresAt }))
        )
        assert.deepStrictEqual(Option.getOrThrow(stages[1]!), {
          state: { model, fileUrl: uploaded!.fileUrl },
          expiresAt: uploaded!.expiresAt
        })
        assert.deepStrictEqual(Option.getOrThrow(stages[3]!).state, { model, fileUrl: submitted!.fileUrl })
        assert.isTrue(Option.isNone(imported.jobs[0]!) && Option.isNone(imported.jobs[1]!))
        const intent = Option.getOrThrow(imported.jobs[2]!)
        assert.strictEqual(intent.status, "submitting")
        assert.isNull(intent.remoteId)
        assert.strictEqual(intent.createdAt, now - 5_000)
        assert.deepStrictEqual(intent.state, { model, fileUrl: submitting!.fileUrl })
        assert.deepStrictEqual(intent.items.map((owned) => owned.itemId), ["submitting.wav"])
        const task = Option.getOrThrow(imported.jobs[3]!)
        assert.strictEqual(task.status, "submitted")
        assert.strictEqual(task.remoteId, keptTaskId)
        assert.strictEqual(task.submittedAt, now - 3_000)
        assert.strictEqual(Option.getOrThrow(imported.byTask).jobId, task.jobId)
        assert.deepStrictEqual(imported.open.map((job) => job.status), ["submitting", "submitted"])

        // the resumed run: today's fingerprints are 0.1's, the done item is skipped as the runner skips it
        const transcriber = yield* Emulated.transcriberFor(emulator)
        const items = yield* Effect.forEach(files, (file) =>
          Emulated.fingerprinted(transcriber, Emulated.fileItem(file, 2000)))
        assert.deepStrictEqual(
          items.map((item) =>
            item.fingerprint
          ),
          files.map(fingerprintOf)
        )
        const before = yield* emulator.report
        const transcripts = yield* Effect.gen(function*() {
          const ledger = yield* Ledger.Ledger
          const pending = yield* Effect.filter(
            items,
            (item) => Effect.map(ledger.isDone(item.fingerprint!), (done) => !done)
          )
          assert.deepStrictEqual(
            pending.map((item) => item.id),
            ["uploaded.wav", "submitting.wav", "submitted.wav"]
          )
          return yield* Effect.forEach(pending, (item) => transcriber.transcribe(item), { concurrency: "unbounded" })
        }).pipe(Effect.provide(Emulated.ledgerLayer(ledgerFile)))

        assert.deepStrictEqual(transcripts.map((transcript) => transcript.status), [
          "SUCCEEDED",
          "SUCCEEDED",
          "SUCCEEDED"
        ])
        assert.strictEqual(transcripts[1]!.taskId, lostTaskId)
        assert.strictEqual(transcripts[2]!.taskId, keptTaskId)
        const report = yield* emulator.report
        // one submission per audio: only the uploaded item was submitted now, with its recorded upload
        assert.strictEqual(report.requests["submit"], before.requests["submit"]! + 1)
        assert.deepStrictEqual(
          [uploadedFile, submittingFile, submittedFile].map((file) =>
            report.submissions_per_audio[sha256(fs.readFileSync(file))]
          ),
          [1, 1, 1]
        )
        assert.strictEqual(report.uploads.length, 3)
        assert.isAtLeast(report.requests["list"] ?? 0, 1)
        assert.deepStrictEqual(report.violations, [])
      }),
    { timeout: 120_000 }
  )

  it.scoped("leaves a new ledger alone: no 0.1 table, nothing imported", () =>
    Effect.gen(function*() {
      const ledgerFile = path.join(work, "fresh/ledger.sqlite")
      fs.mkdirSync(path.dirname(ledgerFile), { recursive: true })
      const open = yield* Effect.flatMap(Ledger.Ledger, (ledger) => ledger.openJobs()).pipe(
        Effect.provide(Emulated.ledgerLayer(ledgerFile))
      )
      assert.deepStrictEqual(open, [])
      const tables = yield* Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
      ).pipe(Effect.provide(SqliteClient.layer({ filename: ledgerFile })), Effect.orDie)
      const names = tables.map((table) => table.name)
      assert.include(names, "asrflow_migrations_qwen")
      assert.notInclude(names, "asrflow_ledger")
    }))
})
