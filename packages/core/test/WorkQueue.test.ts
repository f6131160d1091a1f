import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option, Redacted, TestClock } from "effect"
import { type Postgres, startPostgres } from "../../../bench/lib/postgres.mjs"
import * as LaneState from "../src/LaneState.js"
import * as Ledger from "../src/Ledger.js"
import * as SharedRun from "../src/SharedRun.js"
import * as SqlLaneStore from "../src/SqlLaneStore.js"
import * as WorkQueue from "../src/WorkQueue.js"
import { item } from "./utils/Fakes.js"

let server: Postgres | undefined
beforeAll(async () => {
  server = await startPostgres()
})
afterAll(() => server?.stop())

/** A fresh, migrated database; each worker below opens its own connection pool on it, as separate hosts would. */
const database = Effect.gen(function*() {
  const url = yield* Effect.promise(() => server!.createDatabase("work"))
  yield* Ledger.migrate().pipe(Effect.provide(client(url)))
  return url
})

const client = (url: string) => PgClient.layer({ url: Redacted.make(url), maxConnections: 4 })

/** A worker of run `run`: its queue and its fenced ledger, on its own pool. */
const worker = (url: string, run: string, name: string, leaseMs = 30_000) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(client(url))
    const sql = Effect.provide(SqlClient.SqlClient, context)
    const queue = yield* WorkQueue.make({ run, workerId: name, leaseMs }).pipe(Effect.provide(context))
    const plain = yield* Ledger.make.pipe(Effect.provide(context))
    const ledger = yield* SharedRun.fenced(plain).pipe(
      Effect.provide(context),
      Effect.provideService(WorkQueue.WorkQueue, queue)
    )
    return { queue, ledger, sql }
  })

const items = (n: number) =>
  Array.from({ length: n }, (_, i) => item(`a-${i}.wav`, { fingerprint: `fp-${String(i).padStart(5, "0")}` }))

const leaseLost = <A>(exit: Exit.Exit<A, unknown>) =>
  Exit.isFailure(exit) && Option.isSome(Cause.dieOption(exit.cause)) &&
  Cause.dieOption(exit.cause).pipe(Option.exists((defect) => defect instanceof WorkQueue.LeaseLost))

describe("WorkQueue (PostgreSQL)", () => {
  it.scoped("planning the same 10,000-item manifest from 3 workers at once inserts 10,000 items", () =>
    Effect.gen(function*() {
      const url = yield* database
      const workers = yield* Effect.forEach(["w1", "w2", "w3"], (name) => worker(url, "big", name))
      const manifest = items(10_000)
      const inserted = yield* Effect.forEach(workers, ({ queue }) => queue.plan(manifest, 0), {
        concurrency: "unbounded"
      })
      assert.strictEqual(inserted.reduce((a, b) => a + b, 0), 10_000)
      const rows = yield* workers[0]!.sql.pipe(
        Effect.flatMap((sql) =>
          sql<{ readonly n: string }>`SELECT COUNT(*) AS n FROM asrflow_work WHERE run_name = 'big'`
        )
      )
      assert.strictEqual(Number(rows[0]!.n), 10_000)
      assert.strictEqual(yield* workers[1]!.queue.remaining, 10_000)
    }))

  it.scoped("workers claiming at once get every item exactly once (FOR UPDATE SKIP LOCKED)", () =>
    Effect.gen(function*() {
      const url = yield* database
      const workers = yield* Effect.forEach(["w1", "w2", "w3"], (name) => worker(url, "r", name))
      yield* workers[0]!.queue.plan(items(90), 0)
      // a claim leases what it asks for and no more
      const first = yield* workers[0]!.queue.claim(4)
      const leased = yield* workers[0]!.sql.pipe(
        Effect.flatMap((sql) =>
          sql<{ readonly n: string }>`SELECT COUNT(*) AS n FROM asrflow_work WHERE status = 'leased'`
        )
      )
      assert.deepStrictEqual([first.length, Number(leased[0]!.n)], [4, 4])
      const claimedBy = yield* Effect.forEach(workers, ({ queue }) =>
        Effect.gen(function*() {
          const mine: Array<string> = []
          while (true) {
            const batch = yield* queue.claim(4)
            if (batch.length === 0) return mine
            mine.push(...batch.map((claimed) => claimed.fingerprint!))
          }
        }), { concurrency: "unbounded" })
      const all = [...first.map((claimed) => claimed.fingerprint!), ...claimedBy.flat()]
      assert.strictEqual(all.length, 90)
      assert.strictEqual(new Set(all).size, 90)
      // every item is leased: the run is not finished until they are settled
      assert.strictEqual(yield* workers[0]!.queue.remaining, 90)
    }))

  it.scoped("an expired lease is taken over, and the worker that lost it can no longer write", () =>
    Effect.gen(function*() {
      const url = yield* database
      const a = yield* worker(url, "r", "a", 30_000)
      const b = yield* worker(url, "r", "b", 30_000)
      yield* a.queue.plan(items(1), 0)
      const [claimed] = yield* a.queue.claim(4)
      const fingerprint = claimed!.fingerprint!
      yield* a.ledger.recordStage(fingerprint, { itemId: claimed!.id, name: "upload", state: { by: "a" } })
      // a heartbeat keeps the lease: nothing to take over
      yield* TestClock.adjust("20 seconds")
      yield* a.queue.heartbeat
      yield* TestClock.adjust("20 seconds")
      assert.deepStrictEqual(yield* b.queue.claim(4), [])
      // a is paused: no heartbeat for longer than the lease
      yield* TestClock.adjust("31 seconds")
      const taken = yield* b.queue.claim(4)
      assert.deepStrictEqual(taken.map((item) => item.fingerprint), [fingerprint])
      assert.isFalse(yield* a.queue.holds(fingerprint))
      assert.isTrue(yield* b.queue.holds(fingerprint))

      // every write of a is rejected; nothing it tried is recorded
      assert.isTrue(leaseLost(
        yield* Effect.exit(a.ledger.recordStage(fingerprint, {
          itemId: claimed!.id,
          name: "upload",
          state: { by: "a, late" }
        }))
      ))
      assert.isTrue(leaseLost(
        yield* Effect.exit(a.ledger.beginJob({
          provider: "p",
          items: [{ fingerprint, itemId: claimed!.id }],
          state: null
        }))
      ))
      assert.isTrue(leaseLost(yield* Effect.exit(a.ledger.markDone(fingerprint, claimed!.id))))
      assert.isTrue(leaseLost(yield* Effect.exit(a.queue.settle(fingerprint, { status: "done", result: "a" }))))
      assert.deepStrictEqual(Option.getOrThrow(yield* b.ledger.stage(fingerprint, "upload")).state, { by: "a" })
      assert.isTrue(Option.isNone(yield* b.ledger.latestJob(fingerprint, "p")))
      assert.isFalse(yield* b.ledger.isDone(fingerprint))

      // the new owner's writes go through, and the run is finished
      yield* b.ledger.recordStage(fingerprint, { itemId: claimed!.id, name: "upload", state: { by: "b" } })
      yield* b.queue.atomically(Effect.zipRight(
        b.queue.settle(fingerprint, { status: "done", result: "b" }),
        b.ledger.markDone(fingerprint, claimed!.id)
      ))
      assert.isTrue(yield* b.ledger.isDone(fingerprint))
      assert.strictEqual(yield* a.queue.remaining, 0)
    }))

  it.scoped("workers share one lane state: starts granted by either are spaced by the one rate", () =>
    Effect.gen(function*() {
      const url = yield* database
      const stores = yield* Effect.forEach(
        [url, url],
        (at) => Effect.flatMap(Layer.build(client(at)), (context) => Effect.provide(SqlLaneStore.make, context))
      )
      const policy = { initial: 60, min: 1, max: 60, adaptive: false }
      const init = () => LaneState.initial(policy, 0)
      const steps: Array<string> = []
      // 60 per minute: one start per second, whichever worker asks
      for (let i = 0; i < 4; i++) {
        const step = yield* stores[i % 2]!.modify("lane", init, (state) => LaneState.tryStart(state, policy, 1_000 * i))
        steps.push(step._tag)
        const again = yield* stores[(i + 1) % 2]!.modify(
          "lane",
          init,
          (state) => LaneState.tryStart(state, policy, 1_000 * i + 10)
        )
        steps.push(again._tag)
      }
      assert.deepStrictEqual(steps, ["Started", "Wait", "Started", "Wait", "Started", "Wait", "Started", "Wait"])
      assert.strictEqual(Option.getOrThrow(yield* stores[0]!.get("lane")).starts, 4)
    }))
})
