import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Stream } from "effect"
import * as ConnectionGuard from "../src/ConnectionGuard.js"
import * as PipelineRunner from "../src/PipelineRunner.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { Transcriber, TranscriptionError } from "../src/Transcriber.js"
import { item, memorySink, transcript, withTranscriber } from "./utils/Fakes.js"

const transport = (input: string) =>
  new TranscriptionError({ provider: "fake", input, reason: "Transport", description: "connection refused" })

/** Runs 20 items one at a time through the guarded transcriber; `outcome(i)` decides item i. */
const runWith = (outcome: (index: number) => "ok" | "transport" | "invalid") =>
  Effect.gen(function*() {
    const { sink } = yield* memorySink()
    const transcriber = yield* Transcriber
    // no run-level rounds: each item is tried once, so the count follows the items in order
    const guarded = yield* ConnectionGuard.make({
      ...transcriber,
      retry: new RetryPolicy.RetryPolicy({ ...RetryPolicy.defaults, rounds: 0 })
    })
    const summary = yield* PipelineRunner.run({
      runId: "guard",
      entries: Stream.fromIterable(Array.from({ length: 20 }, (_, i) => Either.right(item(`f${i}.wav`)))),
      sinks: [sink],
      concurrency: 1,
      probe: Effect.succeed
    }).pipe(Effect.provideService(Transcriber, guarded))
    return { summary }
  }).pipe(Effect.provide(withTranscriber((input) => {
    const index = Number(/f(\d+)/.exec(input.id)![1])
    const kind = outcome(index)
    return kind === "ok"
      ? Effect.succeed(transcript(input.id))
      : Effect.fail(
        kind === "transport"
          ? transport(input.id)
          : new TranscriptionError({ provider: "fake", input: input.id, reason: "InvalidRequest" })
      )
  })))

describe("ConnectionGuard", () => {
  it.effect("stops the run after five items in a row could not connect, with exit code 3 and one message", () =>
    Effect.gen(function*() {
      const { summary } = yield* runWith((i) => (i < 2 ? "ok" : "transport"))
      assert.strictEqual(summary.done, 2)
      // items 2..5 failed as items; the fifth in a row stopped the run
      assert.strictEqual(summary.failed, 4)
      assert.strictEqual(summary.exitCode, 3)
      assert.match(summary.aborted ?? "", /5 items in a row could not reach the service \(last: connection refused\)/)
      assert.match(summary.aborted ?? "", /The run was stopped\.$/)
    }))

  it.effect("an answer in between starts the count again, so scattered failures only fail their items", () =>
    Effect.gen(function*() {
      const { summary } = yield* runWith((i) => (i % 4 === 3 ? "ok" : i % 4 === 2 ? "invalid" : "transport"))
      assert.strictEqual(summary.aborted, undefined)
      assert.strictEqual(summary.total, 20)
      assert.strictEqual(summary.done, 5)
      assert.strictEqual(summary.exitCode, 1)
    }))

  it.effect("an item tried again in a later round counts once", () =>
    Effect.gen(function*() {
      const transcriber = yield* Transcriber
      const guarded = yield* ConnectionGuard.make(transcriber)
      const again = item("f0.wav")
      for (let round = 0; round < 6; round++) {
        const error = yield* Effect.flip(guarded.transcribe(again))
        assert.strictEqual(error.reason, "Transport")
      }
      const fifth = yield* Effect.forEach(["f1", "f2", "f3", "f4"], (name) =>
        Effect.flip(guarded.transcribe(item(`${name}.wav`))))
      assert.deepStrictEqual(
        fifth.map((error) =>
          error.reason
        ),
        ["Transport", "Transport", "Transport", "Unreachable"]
      )
    }).pipe(Effect.provide(withTranscriber((input) => Effect.fail(transport(input.id))))))
})
