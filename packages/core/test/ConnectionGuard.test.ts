import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Stream } from "effect"
import * as ConnectionGuard from "../src/ConnectionGuard.js"
import * as PipelineRunner from "../src/PipelineRunner.js"
import { Transcriber, TranscriptionError } from "../src/Transcriber.js"
import { item, memorySink, transcript, withTranscriber } from "./utils/Fakes.js"

const transport = (input: string) =>
  new TranscriptionError({ provider: "fake", input, reason: "Transport", description: "connection refused" })

/** Runs 20 items one at a time through the guarded transcriber; `outcome(i)` decides item i. */
const runWith = (outcome: (index: number) => "ok" | "transport" | "invalid") =>
  Effect.gen(function*() {
    const { sink } = yield* memorySink()
    const transcriber = yield* Transcriber
    const guarded = yield* ConnectionGuard.make(transcriber)
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
})
