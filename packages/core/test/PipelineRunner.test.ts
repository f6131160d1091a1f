import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Either, Exit, Fiber, Layer, Ref, Stream, TestClock } from "effect"
import * as Admission from "../src/Admission.js"
import type { AudioItem } from "../src/AudioItem.js"
import { SourceError } from "../src/AudioSource.js"
import type { SourceEntry } from "../src/AudioSource.js"
import * as PipelineRunner from "../src/PipelineRunner.js"
import * as RateController from "../src/RateController.js"
import { RunEvents } from "../src/RunEvents.js"
import { SinkError } from "../src/Sink.js"
import { TranscriptionError } from "../src/Transcriber.js"
import { item, memorySink, transcript, withTranscriber } from "./utils/Fakes.js"

const entries = (...items: ReadonlyArray<SourceEntry>) => Stream.fromIterable(items)
const ok = (item: AudioItem) => Either.right(item)
const probeOk = (item: AudioItem) => Effect.succeed(item)

const failing = (reason: TranscriptionError["reason"]) => (input: AudioItem) =>
  new TranscriptionError({ provider: "fake", input: input.id, reason, description: "boom" })

describe("PipelineRunner", () => {
  it.effect("isolates one failed item and writes every result to the sinks", () =>
    Effect.gen(function*() {
      const { sink, written } = yield* memorySink()
      const summary = yield* PipelineRunner.run({
        runId: "r1",
        entries: entries(ok(item("a.wav")), ok(item("bad.wav")), ok(item("c.wav"))),
        sinks: [sink],
        concurrency: 2,
        probe: probeOk
      }).pipe(Effect.provide(withTranscriber((input) =>
        input.id.includes("bad") ? Effect.fail(failing("InvalidRequest")(input)) : Effect.succeed(transcript(input.id))
      )))
      const results = yield* Ref.get(written)
      assert.strictEqual(results.length, 3)
      assert.strictEqual(summary.done, 2)
      assert.strictEqual(summary.failed, 1)
      assert.strictEqual(summary.exitCode, 1)
      const failed = results.find((result) =>
        result._tag === "Failed"
      )
      assert.strictEqual(failed?._tag === "Failed" && failed.phase, "transcribe")
      assert.match(summary.failures[0]!.message, /InvalidRequest from fake for \/audio\/bad.wav: boom/)
    }))

  it.effect("turns source and probe failures into Failed results with their phase", () =>
    Effect.gen(function*() {
      const { sink, written } = yield* memorySink()
      const rejected = new SourceError({
        source: "manifest",
        location: "inputs.csv:7",
        reason: "InvalidRow",
        description: "missing `audio`"
      })
      const summary = yield* PipelineRunner.run({
        runId: "r2",
        entries: entries(Either.left(rejected), ok(item("empty.wav")), ok(item("good.wav"))),
        sinks: [sink],
        concurrency: 1,
        probe: (input) =>
          input.id.includes("empty")
            ? Effect.fail(new PipelineRunner.ItemFailure({ reason: "Empty", description: "empty.wav is empty" }))
            : Effect.succeed(input)
      }).pipe(Effect.provide(withTranscriber((input) => Effect.succeed(transcript(input.id)))))
      const phases = (yield* Ref.get(written)).map((result) => result._tag === "Failed" ? result.phase : "ok")
      assert.deepStrictEqual([...phases].sort(), ["ok", "probe", "source"])
      assert.strictEqual(summary.failed, 2)
      assert.deepStrictEqual(summary.failures.map((f) => f.message).sort(), [
        "empty.wav is empty",
        "inputs.csv:7: missing `audio`"
      ])
    }))

  it.effect("stops the whole run on a fatal error (a rejected key) with exit code 3", () =>
    Effect.gen(function*() {
      const { sink, written } = yield* memorySink()
      const calls = yield* Ref.make(0)
      const summary = yield* PipelineRunner.run({
        runId: "r3",
        entries: entries(...Array.from({ length: 20 }, (_, i) => ok(item(`f${i}.wav`)))),
        sinks: [sink],
        concurrency: 1,
        probe: probeOk
      }).pipe(Effect.provide(withTranscriber((input) =>
        Ref.update(calls, (n) =>
          n + 1).pipe(Effect.zipRight(Effect.fail(failing("Unauthorized")(input))))
      )))
      assert.strictEqual(summary.exitCode, 3)
      assert.strictEqual(yield* Ref.get(calls), 1)
      assert.strictEqual((yield* Ref.get(written)).length, 0)
      assert.match(summary.aborted ?? "", /Unauthorized/)
    }))

  it.effect("dies with a defect of one item's work instead of dropping the item (a bug is not a result)", () =>
    Effect.gen(function*() {
      const { sink } = yield* memorySink()
      const exit = yield* PipelineRunner.run({
        runId: "r-defect",
        entries: entries(...Array.from({ length: 5 }, (_, i) => ok(item(`f${i}.wav`)))),
        sinks: [sink],
        concurrency: 2,
        probe: probeOk
      }).pipe(
        Effect.provide(
          withTranscriber((input) =>
            input.id.endsWith("f3.wav") ? Effect.dieMessage("a bug in f3") : Effect.succeed(transcript(input.id))
          )
        ),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause), String(exit))
      assert.include(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "", "a bug in f3")
    }))

  it.effect("never runs more transcriptions at once than the concurrency", () =>
    Effect.gen(function*() {
      const { sink } = yield* memorySink()
      const inFlight = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      // every transcription waits until four are in flight at once, so the peak is reached whatever the
      // machine's speed; a fifth never starts while four wait, or the peak would show it
      const fourInFlight = yield* Deferred.make<void>()
      const summary = yield* PipelineRunner.run({
        runId: "r4",
        entries: entries(...Array.from({ length: 30 }, (_, i) => ok(item(`f${i}.wav`)))),
        sinks: [sink],
        concurrency: 4,
        probe: probeOk
      }).pipe(Effect.provide(withTranscriber((input) =>
        Effect.gen(function*() {
          const now = yield* Ref.updateAndGet(inFlight, (n) => n + 1)
          yield* Ref.update(peak, (p) => Math.max(p, now))
          if (now === 4) yield* Deferred.succeed(fourInFlight, undefined)
          yield* Deferred.await(fourInFlight)
          yield* Ref.update(inFlight, (n) => n - 1)
          return transcript(input.id)
        })
      )))
      assert.strictEqual(summary.done, 30)
      assert.strictEqual(yield* Ref.get(peak), 4)
    }))

  it.effect("counts an item whose sink failed as failed and keeps going", () =>
    Effect.gen(function*() {
      const { sink, written } = yield* memorySink({ failFor: (result) => result.item.id.includes("b.wav") })
      const summary = yield* PipelineRunner.run({
        runId: "r5",
        entries: entries(ok(item("a.wav")), ok(item("b.wav")), ok(item("c.wav"))),
        sinks: [sink],
        concurrency: 1,
        probe: probeOk
      }).pipe(Effect.provide(withTranscriber((input) => Effect.succeed(transcript(input.id)))))
      assert.strictEqual((yield* Ref.get(written)).length, 2)
      assert.strictEqual(summary.done, 2)
      assert.strictEqual(summary.failed, 1)
      assert.match(summary.failures[0]!.message, /memory sink could not write b: disk full/)
    }))

  it.effect("skips items the ledger marks done and marks the rest after every sink wrote", () =>
    Effect.gen(function*() {
      const { sink } = yield* memorySink()
      const marked = yield* Ref.make<ReadonlyArray<string>>([])
      const summary = yield* PipelineRunner.run({
        runId: "r6",
        entries: entries(ok(item("done.wav")), ok(item("new.wav"))),
        sinks: [sink],
        concurrency: 1,
        probe: probeOk,
        isDone: (input) => Effect.succeed(input.id.includes("done")),
        markDone: (input) => Ref.update(marked, (all) => [...all, input.id])
      }).pipe(Effect.provide(withTranscriber((input) => Effect.succeed(transcript(input.id)))))
      assert.strictEqual(summary.skipped, 1)
      assert.strictEqual(summary.done, 1)
      assert.strictEqual(summary.total, 2)
      assert.deepStrictEqual(yield* Ref.get(marked), ["/audio/new.wav"])
    }))

  it.effect("names a sink that cannot finish its files and a run log that cannot be written, and exits 1", () =>
    Effect.gen(function*() {
      const { sink } = yield* memorySink()
      const flushed = yield* Ref.make(0)
      const unfinished = {
        name: "merging",
        write: () => Effect.void,
        flush: Ref.update(flushed, (n) => n + 1).pipe(
          Effect.zipRight(
            Effect.fail(new SinkError({ sink: "jsonl", reason: "Write", path: "/out/all.jsonl", description: "EIO" }))
          )
        )
      }
      const events = Layer.succeed(RunEvents, {
        emit: () => Effect.void,
        problems: Effect.succeed(["could not append to the run log /out/runs/r7.log.jsonl: ENOSPC"])
      })
      const summary = yield* PipelineRunner.run({
        runId: "r7",
        entries: entries(ok(item("a.wav")), ok(item("b.wav"))),
        sinks: [sink, unfinished],
        concurrency: 2,
        probe: probeOk
      }).pipe(
        Effect.provide(withTranscriber((input) => Effect.succeed(transcript(input.id)))),
        Effect.provide(events)
      )
      assert.strictEqual(yield* Ref.get(flushed), 1)
      assert.strictEqual(summary.done, 2)
      assert.strictEqual(summary.exitCode, 1)
      assert.deepStrictEqual(summary.errors, [
        "jsonl sink could not write /out/all.jsonl: EIO",
        "could not append to the run log /out/runs/r7.log.jsonl: ENOSPC"
      ])
    }))

  it.effect("puts an item whose transient failure outlived its retries back in the queue, up to retry.rounds", () =>
    Effect.gen(function*() {
      const { sink, written } = yield* memorySink()
      const calls = yield* Ref.make<Record<string, number>>({})
      const transcribe = (input: AudioItem) =>
        Effect.gen(function*() {
          const n = yield* Ref.modify(calls, (all) => {
            const next = (all[input.id] ?? 0) + 1
            return [next, { ...all, [input.id]: next }] as const
          })
          if (input.id.includes("flaky") && n <= 2) return yield* Effect.fail(failing("ServerError")(input))
          if (input.id.includes("down")) return yield* Effect.fail(failing("Throttled")(input))
          if (input.id.includes("bad")) return yield* Effect.fail(failing("InvalidRequest")(input))
          return transcript(input.id)
        })
      const fiber = yield* PipelineRunner.run({
        runId: "r8",
        entries: entries(ok(item("flaky.wav")), ok(item("down.wav")), ok(item("bad.wav")), ok(item("fine.wav"))),
        sinks: [sink],
        concurrency: 1,
        probe: probeOk
      }).pipe(Effect.provide(withTranscriber(transcribe)), Effect.fork)
      // the default policy waits 32 s, then 60 s, then 60 s between rounds
      yield* TestClock.adjust("31 seconds")
      assert.deepStrictEqual(yield* Ref.get(calls), {
        "/audio/flaky.wav": 1,
        "/audio/down.wav": 1,
        "/audio/bad.wav": 1,
        "/audio/fine.wav": 1
      })
      yield* TestClock.adjust("5 minutes")
      const summary = yield* Fiber.join(fiber)
      // retried rounds, and only for transient failures: 1 + 3 rounds for an item that never recovers
      assert.deepStrictEqual(yield* Ref.get(calls), {
        "/audio/flaky.wav": 3,
        "/audio/down.wav": 4,
        "/audio/bad.wav": 1,
        "/audio/fine.wav": 1
      })
      assert.strictEqual(summary.done, 2)
      assert.strictEqual(summary.failed, 2)
      assert.strictEqual(summary.second_round, 2)
      assert.strictEqual((yield* Ref.get(written)).length, 4)
    }))

  it.effect("does not count an async item against the concurrency while it waits on the server", () =>
    Effect.gen(function*() {
      const { sink } = yield* memorySink()
      const waiting = yield* Ref.make(0)
      const allSubmitted = yield* Deferred.make<void>()
      const summary = yield* PipelineRunner.run({
        runId: "r9",
        entries: entries(...Array.from({ length: 5 }, (_, i) => ok(item(`task${i}.wav`)))),
        sinks: [sink],
        concurrency: 1,
        probe: probeOk
      }).pipe(Effect.provide(withTranscriber((input) =>
        Effect.gen(function*() {
          // submitted: from now on the task runs on the server
          yield* Admission.detach
          if ((yield* Ref.updateAndGet(waiting, (n) => n + 1)) === 5) yield* Deferred.succeed(allSubmitted, undefined)
          yield* Deferred.await(allSubmitted)
          return transcript(input.id)
        })
      )))
      assert.strictEqual(summary.done, 5)
      assert.strictEqual(yield* Ref.get(waiting), 5)
    }))

  it.effect("admits items as the pacer takes them: only a couple wait for a start, whatever the concurrency", () =>
    Effect.gen(function*() {
      const { sink } = yield* memorySink()
      const entered = yield* Ref.make(0)
      const started = yield* Ref.make(0)
      const controller = yield* RateController.make
      const lane = yield* controller.lane({
        key: { provider: "fake", account: "a", region: "r", model: "m", endpoint: "sync" },
        rateLimit: { requests_per_minute: 60, adaptive: false },
        documented: 60
      })
      const fiber = yield* PipelineRunner.run({
        runId: "r10",
        entries: entries(...Array.from({ length: 40 }, (_, i) => ok(item(`f${i}.wav`)))),
        sinks: [sink],
        concurrency: 32,
        probe: probeOk
      }).pipe(
        Effect.provide(withTranscriber((input) =>
          Ref.update(entered, (n) => n + 1).pipe(
            Effect.zipRight(lane.paced(Ref.update(started, (n) => n + 1))),
            Effect.as(transcript(input.id))
          )
        )),
        Effect.fork
      )
      for (let second = 0; second < 10; second++) {
        yield* TestClock.adjust("1 second")
        const waiting = (yield* Ref.get(entered)) - (yield* Ref.get(started))
        assert.isAtMost(waiting, 2, `${waiting} items waiting for a start after ${second + 1} s`)
      }
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* Fiber.join(fiber)).done, 40)
    }))
})
