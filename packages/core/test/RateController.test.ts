import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, Option, Redacted, Ref, TestClock } from "effect"
import type * as LaneState from "../src/LaneState.js"
import * as Ledger from "../src/Ledger.js"
import type { RateLimitBlock } from "../src/Policies.js"
import * as RateController from "../src/RateController.js"
import { TranscriptionError } from "../src/Transcriber.js"

const key = (model: string, endpoint = "sync"): RateController.LaneKey => ({
  provider: "test",
  account: RateController.accountOf(Redacted.make("sk-test")),
  region: "here",
  model,
  endpoint
})

const laneOf = (
  controller: RateController.RateController.Service,
  model: string,
  rateLimit: RateLimitBlock,
  documented = 60
) => controller.lane({ key: key(model), rateLimit, documented })

const pinned = (rpm: number): RateLimitBlock => ({ requests_per_minute: rpm, adaptive: false })

/** `n` callers acquire at once; each records the time its start was granted. */
const startTimes = (lane: RateController.Lane, n: number) =>
  Effect.gen(function*() {
    const starts = yield* Ref.make<Array<number>>([])
    const fiber = yield* Effect.forEach(
      Array.from({ length: n }),
      () =>
        lane.acquire.pipe(
          Effect.zipRight(Clock.currentTimeMillis),
          Effect.flatMap((at) => Ref.update(starts, (all) => [...all, Number(at)]))
        ),
      { concurrency: "unbounded", discard: true }
    ).pipe(Effect.fork)
    return { fiber, starts }
  })

/** `callers` fibers keep the lane busy: acquire, answer at once with `outcome`, again, until interrupted. */
const saturate = (lane: RateController.Lane, callers: number, outcome: LaneState.Outcome = { _tag: "Ok" }) =>
  Effect.forEach(
    Array.from({ length: callers }),
    () => Effect.forever(Effect.flatMap(lane.acquire, (ticket) => lane.report(ticket, outcome))),
    { concurrency: "unbounded", discard: true }
  ).pipe(Effect.fork)

const rateOf = (controller: RateController.RateController.Service, model: string) =>
  Effect.map(controller.snapshot, (lanes) => lanes.find((lane) => lane.lane.includes(` ${model} `))!.requestsPerMinute)

const throttled = (retryAfterMs?: number): LaneState.Outcome => ({ _tag: "Throttled", retryAfterMs })

describe("RateController", () => {
  describe("pacing (a pinned lane)", () => {
    it.effect("spaces N concurrent starts 60 s / RPM apart, without an initial burst", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "qwen3-asr-flash", pinned(100))
        const { fiber, starts } = yield* startTimes(lane, 5)
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Ref.get(starts), [0, 600])
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.join(fiber)
        assert.deepStrictEqual(yield* Ref.get(starts), [0, 600, 1200, 1800, 2400])
      }))

    it.effect("keeps a separate pace per lane", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const a = yield* startTimes(yield* laneOf(controller, "a", pinned(60)), 3)
        const b = yield* startTimes(yield* laneOf(controller, "b", pinned(30)), 2)
        yield* TestClock.adjust("10 seconds")
        yield* Fiber.join(a.fiber)
        yield* Fiber.join(b.fiber)
        assert.deepStrictEqual(yield* Ref.get(a.starts), [0, 1000, 2000])
        assert.deepStrictEqual(yield* Ref.get(b.starts), [0, 2000])
      }))

    it.effect("does not wait when requests come slower than the pace", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "m", pinned(60))
        yield* lane.acquire
        yield* TestClock.adjust("5 seconds")
        const before = yield* Clock.currentTimeMillis
        yield* lane.acquire
        assert.strictEqual(yield* Clock.currentTimeMillis, before)
      }))

    it.effect("makes up a start that came a little late, so the average rate is the rate", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "m", pinned(60))
        yield* lane.acquire
        // the caller comes 30 ms after its slot (a timer fired late): it starts at once, and the next start
        // keeps to the 1 s grid
        yield* TestClock.adjust("1030 millis")
        const late = yield* lane.acquire
        const { fiber, starts } = yield* startTimes(lane, 1)
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(fiber)
        assert.strictEqual(late.startedAt, 1030)
        assert.deepStrictEqual(yield* Ref.get(starts), [2000])
      }))

    it.effect("after a stall, spaces the next starts a full spacing apart: nothing is caught up", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "m", pinned(60))
        yield* lane.acquire
        yield* TestClock.adjust("10 seconds")
        const { fiber, starts } = yield* startTimes(lane, 4)
        yield* TestClock.adjust("5 seconds")
        yield* Fiber.join(fiber)
        assert.deepStrictEqual(yield* Ref.get(starts), [10_000, 11_000, 12_000, 13_000])
      }))

    it.effect("gives the same lane to every caller of the same key", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const first = yield* laneOf(controller, "m", pinned(60))
        const again = yield* laneOf(controller, "m", pinned(6000))
        assert.strictEqual(first, again)
      }))
  })

  describe("adaptation", () => {
    it.effect("raises the rate after each clean window in which the pacer was the bottleneck (slow start)", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "m", "auto", 60)
        const busy = yield* saturate(lane, 3)
        // at 60 RPM the first window is 15 s (15 starts); the start that ends it doubles the rate
        yield* TestClock.adjust("14 seconds")
        assert.strictEqual(yield* rateOf(controller, "m"), 60)
        yield* TestClock.adjust("2 seconds")
        assert.strictEqual(yield* rateOf(controller, "m"), 120)
        // at 120 RPM a window is 5 s
        yield* TestClock.adjust("5 seconds")
        assert.strictEqual(yield* rateOf(controller, "m"), 240)
        yield* Fiber.interrupt(busy)
      }))

    it.effect("does not raise the rate when callers, not the pacer, set the pace", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "m", "auto", 60)
        const slow = yield* Effect.forever(
          Effect.flatMap(lane.acquire, (ticket) => lane.report(ticket, { _tag: "Ok" })).pipe(
            Effect.zipRight(Effect.sleep("2 seconds"))
          )
        ).pipe(Effect.fork)
        yield* TestClock.adjust("2 minutes")
        assert.strictEqual(yield* rateOf(controller, "m"), 60)
        yield* Fiber.interrupt(slow)
      }))

    it.effect("never probes above max_requests_per_minute", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "m", { max_requests_per_minute: 100, adaptive: true }, 60)
        const busy = yield* saturate(lane, 3)
        yield* TestClock.adjust("2 minutes")
        assert.strictEqual(yield* rateOf(controller, "m"), 100)
        yield* Fiber.interrupt(busy)
      }))

    it.effect("halves the rate on the first throttling 429, then cuts it by a fifth; once per decrease", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "m", "auto", 600)
        const early = yield* lane.acquire
        yield* TestClock.adjust("1 second")
        const a = yield* lane.acquire
        yield* lane.report(a, throttled())
        assert.strictEqual(yield* rateOf(controller, "m"), 300)
        // a request sent before that decrease was sent at the old rate: it says nothing new
        yield* lane.report(early, throttled())
        assert.strictEqual(yield* rateOf(controller, "m"), 300)
        yield* TestClock.adjust("1 second")
        const b = yield* lane.acquire
        yield* lane.report(b, throttled())
        assert.strictEqual(yield* rateOf(controller, "m"), 240)
      }))

    it.effect("backs off from a told limit by a fifth and recovers up to it, never above", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "m", { requests_per_minute: 600, adaptive: true }, 100)
        const ticket = yield* lane.acquire
        yield* lane.report(ticket, throttled())
        assert.strictEqual(yield* rateOf(controller, "m"), 480)
        const busy = yield* saturate(lane, 3)
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(yield* rateOf(controller, "m"), 600)
        yield* Fiber.interrupt(busy)
      }))

    it.effect("does not fall below a quarter of its limit on a burst of 429s with nothing accepted, and climbs back", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "m", { requests_per_minute: 600, adaptive: true }, 100)
        for (let i = 0; i < 20; i++) {
          yield* lane.report(yield* lane.acquire, throttled())
          yield* TestClock.adjust("1 second")
        }
        assert.strictEqual(yield* rateOf(controller, "m"), 150)
        const busy = yield* saturate(lane, 3)
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(yield* rateOf(controller, "m"), 600)
        yield* Fiber.interrupt(busy)
      }))

    it.effect("honours Retry-After: no start before it ends, even on a pinned lane", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "m", pinned(600))
        const ticket = yield* lane.acquire
        yield* lane.report(ticket, throttled(5000))
        const { fiber, starts } = yield* startTimes(lane, 2)
        yield* TestClock.adjust("4 seconds")
        assert.deepStrictEqual(yield* Ref.get(starts), [])
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.join(fiber)
        assert.deepStrictEqual(yield* Ref.get(starts), [5000, 5100])
        assert.strictEqual(yield* rateOf(controller, "m"), 600)
      }))

    it.effect("does not treat a quota or billing 429 as throttling", () =>
      Effect.gen(function*() {
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "m", "auto", 600)
        const quota = new TranscriptionError({
          provider: "test",
          input: "a.wav",
          reason: "QuotaExhausted",
          status: 429,
          code: "Throttling.AllocationQuota",
          retryAfterMs: 30_000
        })
        const failed = yield* lane.paced(Effect.fail(quota)).pipe(Effect.flip)
        assert.strictEqual(failed.reason, "QuotaExhausted")
        const { fiber, starts } = yield* startTimes(lane, 1)
        yield* TestClock.adjust("100 millis")
        yield* Fiber.join(fiber)
        assert.deepStrictEqual(yield* Ref.get(starts), [100])
        const [snapshot] = yield* controller.snapshot
        assert.strictEqual(snapshot!.requestsPerMinute, 600)
        assert.strictEqual(snapshot!.throttled, 0)
      }))

    it.effect("finds a limit it was not told: a token bucket with a 10 % burst, at ≥ 90 % with ≤ 2 % answered 429", () =>
      Effect.gen(function*() {
        // the server: 300 RPM, 30 tokens of burst, refilled continuously
        const limit = 300
        const bucket = yield* Ref.make({ tokens: limit * 0.1, at: 0 })
        const take = Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.modify(bucket, ({ at, tokens }) => {
            const refilled = Math.min(limit * 0.1, tokens + ((now - at) * limit) / 60_000)
            return refilled >= 1 ? [true, { tokens: refilled - 1, at: now }] : [false, { tokens: refilled, at: now }]
          }))
        const answered = yield* Ref.make({ ok: 0, throttled: 0 })
        const request = Effect.flatMap(take, (accepted) =>
          accepted
            ? Effect.zipRight(Effect.sleep("300 millis"), Ref.update(answered, (n) => ({ ...n, ok: n.ok + 1 })))
            : Effect.zipRight(
              Ref.update(answered, (n) => ({ ...n, throttled: n.throttled + 1 })),
              Effect.fail(new TranscriptionError({ provider: "test", input: "x", reason: "Throttled", status: 429 }))
            ))
        const controller = yield* RateController.make
        const lane = yield* laneOf(controller, "m", "auto", 100)
        const items = 600 // 2 minutes of work at the limit
        const fiber = yield* Effect.forEach(
          Array.from({ length: items }),
          () => lane.paced(request).pipe(Effect.retry({ while: (error) => error.reason === "Throttled" })),
          { concurrency: 8, discard: true }
        ).pipe(Effect.fork)
        let elapsed = 0
        while (fiber.unsafePoll() === null) {
          yield* TestClock.adjust("5 seconds")
          elapsed += 5000
        }
        const { ok, throttled } = yield* Ref.get(answered)
        assert.strictEqual(ok, items)
        const ofLimit = (items * 60_000) / limit / elapsed
        assert.isAtLeast(ofLimit, 0.9, `${Math.round(ofLimit * 100)} % of the limit`)
        assert.isAtMost(throttled / (ok + throttled), 0.02, `${throttled} of ${ok + throttled} answered 429`)
      }))
  })

  describe("what a run learned", () => {
    const ledgerAt = (filename: string) => Ledger.layer().pipe(Layer.provideMerge(SqliteClient.layer({ filename })))

    it.scoped("is written to the ledger when the run ends, and the next run starts from it", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const file = path.join(yield* fs.makeTempDirectoryScoped({ prefix: "asrflow-lanes-" }), "ledger.sqlite")
        const firstRun = Effect.gen(function*() {
          const controller = yield* RateController.RateController
          const lane = yield* laneOf(controller, "m", "auto", 600)
          yield* lane.acquire
          yield* TestClock.adjust("1 second")
          yield* lane.report(yield* lane.acquire, throttled())
          return yield* rateOf(controller, "m")
        }).pipe(Effect.provide(RateController.layer), Effect.provide(ledgerAt(file)))
        assert.strictEqual(yield* firstRun, 300)

        const learned = yield* Effect.flatMap(Ledger.Ledger, (ledger) => ledger.lane(RateController.laneId(key("m"))))
          .pipe(Effect.provide(ledgerAt(file)))
        assert.isTrue(Option.isSome(learned))
        assert.strictEqual(Option.getOrThrow(learned).requestsPerMinute, 300)
        assert.strictEqual(Option.getOrThrow(learned).ceilingPerMinute, 600)
        assert.strictEqual(Option.getOrThrow(learned).account, RateController.accountOf(Redacted.make("sk-test")))

        const secondRun = Effect.gen(function*() {
          const controller = yield* RateController.RateController
          const lane = yield* laneOf(controller, "m", "auto", 600)
          return lane.policy
        }).pipe(Effect.provide(RateController.layer), Effect.provide(ledgerAt(file)))
        const policy = yield* secondRun
        assert.strictEqual(policy.initial, 300)
        assert.strictEqual(policy.ceiling, 600)
        // a told limit wins over what was learned
        const told = RateController.policyFor({ requests_per_minute: 100, adaptive: true }, 600, learned)
        assert.strictEqual(told.initial, 100)
        // a run that ended probing above its estimate does not start the next one there
        const probing = Option.map(learned, (record) => ({ ...record, requestsPerMinute: 900 }))
        assert.strictEqual(RateController.policyFor("auto", 600, probing).initial, 600 * 0.97)
      }).pipe(Effect.provide(NodeContext.layer)))
  })
})
