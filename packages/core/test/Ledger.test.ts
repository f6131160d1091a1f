import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Context, Effect, Layer, Option, Redacted, TestClock } from "effect"
import { type Postgres, startPostgres } from "../../../bench/lib/postgres.mjs"
import * as LedgerFiles from "../src/internal/ledgerFiles.js"
import * as LedgerFirstRun from "../src/internal/ledgerFirstRun.js"
import * as Ledger from "../src/Ledger.js"

/** Where a ledger lives (a file, a database URL) and how to open it: every test runs on both engines. */
interface Engine {
  readonly name: string
  readonly location: Effect.Effect<string, unknown, Scope.Scope | FileSystem.FileSystem | Path.Path>
  readonly client: (location: string) => Layer.Layer<SqlClient.SqlClient, unknown>
}

const tempFile = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  return path.join(yield* fs.makeTempDirectoryScoped({ prefix: "asrflow-ledger-" }), "ledger.sqlite")
})

const sqlite: Engine = {
  name: "SQLite",
  location: tempFile,
  client: (filename) => SqliteClient.layer({ filename })
}

let server: Postgres | undefined
beforeAll(async () => {
  server = await startPostgres()
})
afterAll(() => server?.stop())

const postgres: Engine = {
  name: "PostgreSQL",
  location: Effect.promise(() => server!.createDatabase()),
  client: (url) => PgClient.layer({ url: Redacted.make(url) })
}

const count = (rows: ReadonlyArray<{ readonly n: number | string }>) => Number(rows[0]!.n)

/** A submitted job of two items (`batch-1`), the first of them done. */
const halfDoneJob = (ledger: Ledger.Ledger["Type"]) =>
  Effect.gen(function*() {
    const job = yield* ledger.beginJob({
      provider: "p",
      items: [{ fingerprint: "fp-1", itemId: "1.wav" }, { fingerprint: "fp-2", itemId: "2.wav" }],
      state: null
    })
    yield* ledger.jobSubmitted(job.jobId, "batch-1")
    yield* ledger.markDone("fp-1", "1.wav")
    return job
  })

const suite = (engine: Engine) => {
  const ledgerAt = (location: string, migrations: ReadonlyArray<Ledger.Migrations> = []) =>
    Ledger.layer(migrations).pipe(Layer.provideMerge(engine.client(location)))

  it.scoped("keeps done marks, stages, submit intents and remote ids across reopenings of the file", () =>
    Effect.gen(function*() {
      const file = yield* engine.location
      const jobs = yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        yield* TestClock.setTime(1_000)
        yield* ledger.recordStage("fp-a", {
          itemId: "a.wav",
          name: "upload",
          state: { fileUrl: "oss://k/a.wav" },
          expiresAt: 123
        })
        const a = yield* ledger.beginJob({
          provider: "p",
          items: [{ fingerprint: "fp-a", itemId: "a.wav" }],
          state: { model: "m" }
        })
        yield* TestClock.setTime(2_000)
        const b = yield* ledger.beginJob({
          provider: "p",
          items: [{ fingerprint: "fp-b", itemId: "b.wav" }, { fingerprint: "fp-c", itemId: "c.wav" }],
          state: { model: "m", batch: true }
        })
        yield* ledger.jobSubmitted(b.jobId, "task-b")
        yield* ledger.markDone("fp-d", "d.wav")
        return { a, b }
      }).pipe(Effect.provide(ledgerAt(file)))

      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        const upload = Option.getOrThrow(yield* ledger.stage("fp-a", "upload"))
        assert.deepStrictEqual(upload.state, { fileUrl: "oss://k/a.wav" })
        assert.strictEqual(upload.expiresAt, 123)
        assert.isTrue(Option.isNone(yield* ledger.stage("fp-a", "other")))

        const a = Option.getOrThrow(yield* ledger.latestJob("fp-a", "p"))
        assert.strictEqual(a.status, "submitting")
        assert.strictEqual(a.remoteId, null)
        assert.strictEqual(a.createdAt, 1_000)
        assert.deepStrictEqual(a.state, { model: "m" })
        assert.strictEqual(Option.getOrThrow(yield* ledger.item("fp-a")).attempts, 1)

        const b = Option.getOrThrow(yield* ledger.jobByRemoteId("p", "task-b"))
        assert.strictEqual(b.jobId, jobs.b.jobId)
        assert.strictEqual(b.status, "submitted")
        assert.deepStrictEqual(b.items.map((item) => item.itemId), ["b.wav", "c.wav"])
        assert.strictEqual(Option.getOrThrow(yield* ledger.latestJob("fp-c", "p")).jobId, jobs.b.jobId)
        assert.isTrue(Option.isNone(yield* ledger.latestJob("fp-c", "another-provider")))

        assert.isTrue(yield* ledger.isDone("fp-d"))
        assert.isFalse(yield* ledger.isDone("fp-a"))
        assert.isTrue(Option.isNone(yield* ledger.item("fp-unknown")))
        assert.deepStrictEqual((yield* ledger.openJobs()).map((job) => job.jobId), [jobs.a.jobId, jobs.b.jobId])
        assert.deepStrictEqual(yield* ledger.openJobs("another-provider"), [])
      }).pipe(Effect.provide(ledgerAt(file)))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("counts an attempt per submit intent, ends jobs, and forgets a cleared stage", () =>
    Effect.gen(function*() {
      const file = yield* engine.location
      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        const item = { fingerprint: "fp", itemId: "x.wav" }
        const first = yield* ledger.beginJob({ provider: "p", items: [item], state: null })
        yield* ledger.endJob(first.jobId, "failed", "task failed")
        yield* TestClock.adjust(1)
        const second = yield* ledger.beginJob({ provider: "p", items: [item], state: null })
        assert.strictEqual(Option.getOrThrow(yield* ledger.item("fp")).attempts, 2)
        assert.strictEqual(Option.getOrThrow(yield* ledger.latestJob("fp", "p")).jobId, second.jobId)
        assert.deepStrictEqual((yield* ledger.openJobs("p")).map((job) => job.jobId), [second.jobId])
        yield* ledger.endJob(second.jobId, "done")
        assert.deepStrictEqual(yield* ledger.openJobs(), [])

        yield* ledger.recordStage("fp", { itemId: "x.wav", name: "upload", state: { n: 1 } })
        yield* ledger.recordStage("fp", { itemId: "x.wav", name: "upload", state: { n: 2 } })
        assert.deepStrictEqual(Option.getOrThrow(yield* ledger.stage("fp", "upload")).state, { n: 2 })
        yield* ledger.clearStage("fp", "upload")
        assert.isTrue(Option.isNone(yield* ledger.stage("fp", "upload")))

        yield* ledger.markFailed("fp", "x.wav", "boom")
        const failed = Option.getOrThrow(yield* ledger.item("fp"))
        assert.strictEqual(failed.status, "failed")
        assert.strictEqual(failed.error, "boom")
        assert.strictEqual(failed.attempts, 2)
      }).pipe(Effect.provide(ledgerAt(file)))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("ends a job as done once every item it owns is done, and not before", () =>
    Effect.gen(function*() {
      const file = yield* engine.location
      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        yield* halfDoneJob(ledger)
        assert.strictEqual(Option.getOrThrow(yield* ledger.jobByRemoteId("p", "batch-1")).status, "submitted")
        yield* ledger.markDone("fp-2", "2.wav")
        assert.strictEqual(Option.getOrThrow(yield* ledger.jobByRemoteId("p", "batch-1")).status, "done")
        assert.deepStrictEqual(yield* ledger.openJobs("p"), [])
      }).pipe(Effect.provide(ledgerAt(file)))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("ends a delivered job left open by a crash between markDone's two statements when it reopens", () =>
    Effect.gen(function*() {
      const file = yield* engine.location
      const jobId = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const ledger = yield* Ledger.Ledger
        const job = yield* halfDoneJob(ledger)
        // the item's row written, the process killed before the job's
        yield* sql`UPDATE asrflow_items SET status = 'done' WHERE fingerprint = 'fp-2'`
        assert.deepStrictEqual((yield* ledger.openJobs("p")).map((open) => open.jobId), [job.jobId])
        return job.jobId
      }).pipe(Effect.provide(ledgerAt(file)))
      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        assert.deepStrictEqual(yield* ledger.openJobs("p"), [])
        assert.strictEqual(Option.getOrThrow(yield* ledger.jobByRemoteId("p", "batch-1")).jobId, jobId)
        assert.strictEqual(Option.getOrThrow(yield* ledger.jobByRemoteId("p", "batch-1")).status, "done")
      }).pipe(Effect.provide(ledgerAt(file)))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("runs each migration once, core first, then each owner's from its own table", () =>
    Effect.gen(function*() {
      const file = yield* engine.location
      const owned: Ledger.Migrations = {
        owner: "test",
        migrations: {
          "1_note": Effect.flatMap(
            SqlClient.SqlClient,
            (sql) =>
              // the core tables exist when an owner's migrations run
              sql`INSERT INTO asrflow_items (fingerprint, item_id, status, attempts, updated_at)
                VALUES ('from-owner', 'o.wav', 'done', 0, 0)`
          )
        }
      }
      const open = Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const ledger = yield* Ledger.Ledger
        assert.isTrue(yield* ledger.isDone("from-owner"))
        return count(yield* sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM asrflow_migrations_test`)
      }).pipe(Effect.provide(ledgerAt(file, [owned])))
      assert.strictEqual(yield* open, 1)
      assert.strictEqual(yield* open, 1)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("records the runs writing in the output root until they end; stages of an item can be cleared", () =>
    Effect.gen(function*() {
      const file = yield* engine.location
      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        yield* TestClock.setTime(5_000)
        yield* ledger.beginRun({ runId: "r1", host: "h", pid: 11 })
        yield* ledger.beginRun({ runId: "r2", host: "h", pid: 12 })
        yield* ledger.endRun("r1")
        const open = yield* ledger.openRuns
        assert.deepStrictEqual(open.map((run) => [run.runId, run.host, run.pid, run.startedAt, run.endedAt]), [
          ["r2", "h", 12, 5_000, null]
        ])
        yield* ledger.recordStage("fp", { itemId: "a", name: "upload", state: 1 })
        yield* ledger.recordStage("fp", { itemId: "a", name: "chunk", state: 2 })
        yield* ledger.clearStages("fp")
        assert.isTrue(Option.isNone(yield* ledger.stage("fp", "upload")))
        assert.isTrue(Option.isNone(yield* ledger.stage("fp", "chunk")))
      }).pipe(Effect.provide(ledgerAt(file)))
      // a reopened ledger still knows the open run
      const reopened = yield* Effect.flatMap(Ledger.Ledger, (ledger) => ledger.openRuns).pipe(
        Effect.provide(ledgerAt(file))
      )
      assert.deepStrictEqual(reopened.map((run) => run.runId), ["r2"])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("answers for many files and fingerprints at once, in order, past one statement's worth of values", () =>
    Effect.gen(function*() {
      const file = yield* engine.location
      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        // 1,200 files: three statements of at most 500 paths each
        const stamps = Array.from({ length: 1200 }, (_, i) => ({
          path: `/audio/${String(i).padStart(4, "0")}.wav`,
          sizeBytes: 1000 + i,
          mtimeMs: 5_000 + i,
          inode: String(90_000 + i)
        }))
        for (const [i, stamp] of stamps.entries()) {
          if (i % 7 === 0) continue
          yield* ledger.rememberFile(stamp, `sha-${i}`, i % 5 === 0 ? undefined : { container: "wav", durationMs: i })
          if (i % 3 === 0) yield* ledger.markDone(`fp-${i}`, stamp.path)
          if (i % 3 === 1) yield* ledger.markFailed(`fp-${i}`, stamp.path, "no")
        }
        // asked in another order, one path twice, one stamp moved since
        const asked = [...stamps].reverse()
        asked.push(stamps[1]!, { ...stamps[2]!, mtimeMs: 1 })
        const known = yield* ledger.knownFiles(asked)
        assert.strictEqual(known.length, asked.length)
        for (const [at, stamp] of asked.entries()) {
          assert.deepStrictEqual(known[at], Option.getOrUndefined(yield* ledger.knownFile(stamp)), stamp.path)
        }
        assert.strictEqual(known.at(-2)?.sha256, "sha-1")
        assert.isUndefined(known.at(-1), "a moved stamp")
        const answerFor = (i: number) => known[stamps.length - 1 - i]
        assert.strictEqual(answerFor(3)?.facts?.durationMs, 3)
        assert.isUndefined(answerFor(7), "a file never remembered")
        assert.isDefined(answerFor(5))
        assert.isUndefined(answerFor(5)?.facts, "a file remembered without facts")

        const done = yield* ledger.doneAmong(Array.from({ length: 1200 }, (_, i) => `fp-${i}`).concat("fp-none"))
        assert.deepStrictEqual(
          [...done].sort(),
          Array.from({ length: 1200 }, (_, i) => i).filter((i) => i % 7 !== 0 && i % 3 === 0).map((i) => `fp-${i}`)
            .sort()
        )
        assert.strictEqual((yield* ledger.knownFiles([])).length, 0)
        assert.strictEqual((yield* ledger.doneAmong([])).size, 0)
      }).pipe(Effect.provide(ledgerAt(file)))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("writes remembered files behind: many in one statement, within seconds, and all when it closes", () =>
    Effect.gen(function*() {
      const file = yield* engine.location
      const stamp = (i: number) => ({
        path: `/audio/${i}.wav`,
        sizeBytes: 10 + i,
        mtimeMs: 1_000 + i,
        inode: String(i)
      })
      const rows = Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM asrflow_files`
      ).pipe(Effect.map(count))
      const full = LedgerFiles.filesPerWrite
      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        for (let i = 0; i < full - 1; i++) yield* ledger.rememberFile(stamp(i), `sha-${i}`)
        assert.strictEqual(yield* rows, 0, "none written yet")
        yield* ledger.rememberFile(stamp(full - 1), "sha-last")
        assert.strictEqual(yield* rows, full, "written together")
        // a file waiting to be written is known to the ledger's own questions
        yield* ledger.rememberFile(stamp(full), "sha-waiting")
        assert.strictEqual(Option.getOrThrow(yield* ledger.knownFile(stamp(full))).sha256, "sha-waiting")
        assert.strictEqual(yield* rows, full + 1)
        // a slow run: written once the oldest waited long enough
        yield* ledger.rememberFile(stamp(full + 1), "sha-slow")
        yield* TestClock.adjust(LedgerFiles.writeFilesWithinMs)
        yield* ledger.rememberFile(stamp(full + 2), "sha-late")
        assert.strictEqual(yield* rows, full + 3)
        yield* ledger.rememberFile(stamp(full + 3), "sha-closing")
        assert.strictEqual(yield* rows, full + 3)
      }).pipe(Effect.provide(ledgerAt(file)))
      yield* Effect.gen(function*() {
        assert.strictEqual(yield* rows, full + 4, "the last one written when the ledger closed")
        const ledger = yield* Ledger.Ledger
        assert.strictEqual(Option.getOrThrow(yield* ledger.knownFile(stamp(full + 3))).sha256, "sha-closing")
      }).pipe(Effect.provide(ledgerAt(file)))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("ends an item's jobs when it is done once it has seen a job: open when it opened, or begun since", () =>
    Effect.gen(function*() {
      const file = yield* engine.location
      // opened with a job open (a resumed run): the job ends with its last item
      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        yield* halfDoneJob(ledger)
      }).pipe(Effect.provide(ledgerAt(file)))
      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        yield* ledger.markDone("fp-2", "2.wav")
        assert.deepStrictEqual(yield* ledger.openJobs("p"), [])
      }).pipe(Effect.provide(ledgerAt(file)))
      // a ledger that has seen no job writes only the item (a batch of sync items): a job another process began
      // meanwhile for that item is ended when a ledger next opens
      const ledger = Context.get(yield* Layer.build(ledgerAt(file)), Ledger.Ledger)
      const other = Context.get(yield* Layer.build(ledgerAt(file)), Ledger.Ledger)
      const job = yield* other.beginJob({
        provider: "p",
        items: [{ fingerprint: "fp-3", itemId: "3.wav" }],
        state: null
      })
      yield* ledger.markDone("fp-3", "3.wav")
      assert.strictEqual(Option.getOrThrow(yield* ledger.item("fp-3")).status, "done")
      assert.deepStrictEqual((yield* other.openJobs("p")).map((open) => open.jobId), [job.jobId])
      yield* Effect.gen(function*() {
        const reopened = yield* Ledger.Ledger
        assert.deepStrictEqual(yield* reopened.openJobs("p"), [])
      }).pipe(Effect.provide(ledgerAt(file)))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("keeps the newest observations of each name across reopenings, newest first", () =>
    Effect.gen(function*() {
      const file = yield* engine.location
      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        for (let i = 0; i < Ledger.observationsKept + 5; i++) {
          yield* TestClock.setTime(1_000 + i)
          yield* ledger.observe("p", "queue", { ms: i })
        }
        yield* ledger.observe("p", "other", { ms: -1 })
        yield* ledger.observe("q", "queue", { ms: -2 })
      }).pipe(Effect.provide(ledgerAt(file)))

      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const ledger = yield* Ledger.Ledger
        assert.deepStrictEqual(yield* ledger.observations("p", "queue", 3), [{ ms: 104 }, { ms: 103 }, { ms: 102 }])
        const kept = yield* ledger.observations("p", "queue", 1_000)
        assert.strictEqual(kept.length, Ledger.observationsKept)
        assert.deepStrictEqual(kept.at(-1), { ms: 5 })
        assert.deepStrictEqual(yield* ledger.observations("p", "other", 10), [{ ms: -1 }])
        assert.deepStrictEqual(yield* ledger.observations("q", "queue", 10), [{ ms: -2 }])
        assert.deepStrictEqual(yield* ledger.observations("p", "none", 10), [])
        const rows = yield* sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM asrflow_observations`
        assert.strictEqual(count(rows), Ledger.observationsKept + 2)
      }).pipe(Effect.provide(ledgerAt(file)))
    }).pipe(Effect.provide(NodeContext.layer)))
}

describe("Ledger", () => {
  describe.each([sqlite, postgres])("on $name", suite)

  // better-sqlite3's own build caches 16 MiB of pages, which a 100,000-item ledger grows into (issue 18)
  it.scoped("keeps SQLite's page cache at 2 MiB and syncs at checkpoints", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* Ledger.Ledger
        const cache = yield* sql<{ readonly cache_size: number }>`PRAGMA cache_size`
        const synchronous = yield* sql<{ readonly synchronous: number }>`PRAGMA synchronous`
        assert.deepStrictEqual([Number(cache[0]!.cache_size), Number(synchronous[0]!.synchronous)], [-2000, 1])
      }).pipe(Effect.provide(Ledger.layer().pipe(Layer.provideMerge(sqlite.client(file)))))
    }).pipe(Effect.provide(NodeContext.layer)))

  // a first run asks "done?" once per item: a pristine SQLite ledger answers from what this process did
  it.scoped("answers a first run's questions from what it marked, and asks the file once another run shows", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      const open = () =>
        Layer.build(Ledger.layer().pipe(Layer.provideMerge(sqlite.client(file)))).pipe(
          Effect.map((context) => Context.get(context, Ledger.Ledger))
        )
      const ledger = yield* open()
      yield* ledger.beginRun({ runId: "mine", host: "h", pid: 1 })
      assert.isFalse(yield* ledger.isDone("fp-a"))
      yield* ledger.markDone("fp-a", "a.wav")
      assert.isTrue(yield* ledger.isDone("fp-a"), "marked by this process")
      assert.isFalse(yield* ledger.isDone("fp-b"))
      // another run on the same file: what it marks is seen once the ledger has looked for other runs
      const other = yield* open()
      yield* other.beginRun({ runId: "theirs", host: "h", pid: 2 })
      yield* other.markDone("fp-b", "b.wav")
      assert.isFalse(yield* ledger.isDone("fp-b"), "not looked yet")
      yield* TestClock.adjust(LedgerFirstRun.othersCheckedEveryMs)
      assert.isTrue(yield* ledger.isDone("fp-b"))
      yield* other.markDone("fp-c", "c.wav")
      assert.isTrue(yield* ledger.isDone("fp-c"), "every question asked of the file from now on")
      // a ledger that opens with an item done asks the file at once
      yield* other.endRun("theirs")
      yield* ledger.endRun("mine")
      assert.isTrue(yield* (yield* open()).isDone("fp-c"))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("imports the items of a 0.1 ledger file and leaves its table as it was", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // the table exactly as asrflow 0.1 created it
        yield* sql`CREATE TABLE IF NOT EXISTS asrflow_ledger (
          fingerprint TEXT PRIMARY KEY, item_id TEXT NOT NULL, model TEXT, status TEXT NOT NULL, file_url TEXT,
          file_url_expires_at BIGINT, task_id TEXT, submit_started_at BIGINT, submitted_at BIGINT,
          attempts INTEGER NOT NULL DEFAULT 0, error TEXT, updated_at BIGINT NOT NULL)`
        yield* sql`INSERT INTO asrflow_ledger (fingerprint, item_id, model, status, attempts, error, updated_at)
          VALUES ('fp-done', 'done.wav', 'm', 'done', 1, NULL, 10),
                 ('fp-failed', 'failed.wav', 'm', 'failed', 2, 'boom', 11),
                 ('fp-submitted', 'submitted.wav', 'm', 'submitted', 1, NULL, 12)`
      }).pipe(Effect.provide(SqliteClient.layer({ filename: file })))

      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const ledger = yield* Ledger.Ledger
        assert.isTrue(yield* Ledger.hasLegacyTable)
        assert.isTrue(yield* ledger.isDone("fp-done"))
        const failed = Option.getOrThrow(yield* ledger.item("fp-failed"))
        assert.deepStrictEqual([failed.status, failed.attempts, failed.error], ["failed", 2, "boom"])
        assert.strictEqual(Option.getOrThrow(yield* ledger.item("fp-submitted")).status, "running")
        assert.strictEqual((yield* sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM asrflow_ledger`)[0]!.n, 3)
      }).pipe(Effect.provide(Ledger.layer().pipe(Layer.provideMerge(sqlite.client(file)))))
    }).pipe(Effect.provide(NodeContext.layer)))
})
