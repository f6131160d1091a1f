import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Either, Fiber, Stream } from "effect"
import * as InFlightAudio from "../src/InFlightAudio.js"
import * as PipelineRunner from "../src/PipelineRunner.js"
import * as RunEvents from "../src/RunEvents.js"
import { Transcriber, TranscriptionError } from "../src/Transcriber.js"
import type { Transcript } from "../src/Transcript.js"
import * as Fakes from "./utils/Fakes.js"

const bytes = new Uint8Array([82, 73, 70, 70])

/** A transcriber whose every attempt ends as `attempt` says. */
const transcriberOf = (attempt: Effect.Effect<Transcript, TranscriptionError>) =>
  Transcriber.of({
    provider: "fake",
    transcribe: () => attempt,
    plan: () => ({ route: "fake", model: "fake", warnings: [] }),
    requestKey: () => "fake"
  })

const failure = new TranscriptionError({ provider: "fake", input: "x", reason: "ServerError", description: "500" })

describe("InFlightAudio", () => {
  it.effect("hands an item's bytes over once, to the very item held, and only with the service", () =>
    Effect.gen(function*() {
      const holder = yield* InFlightAudio.make
      const item = Fakes.item("a.wav")
      holder.hold(item, bytes)
      // another item with the same fields is not the item the run probed
      assert.isUndefined(
        yield* InFlightAudio.take(Fakes.item("a.wav")).pipe(
          Effect.provideService(InFlightAudio.InFlightAudio, holder.service)
        )
      )
      // without the service (the Promise API, a library user's own layer) nothing is held
      assert.isUndefined(yield* InFlightAudio.take(item))
      const taken = yield* InFlightAudio.take(item).pipe(
        Effect.provideService(InFlightAudio.InFlightAudio, holder.service)
      )
      assert.strictEqual(taken, bytes)
      assert.isUndefined(holder.service.take(item))
    }))

  it.effect("lets the bytes go when the first attempt ends, taken or not, succeeded or failed", () =>
    Effect.gen(function*() {
      const holder = yield* InFlightAudio.make
      const done = Fakes.item("done.wav")
      const failed = Fakes.item("failed.wav")
      holder.hold(done, bytes)
      holder.hold(failed, bytes)
      yield* holder.releasing(transcriberOf(Effect.succeed(Fakes.transcript("hi")))).transcribe(done)
      yield* Effect.flip(holder.releasing(transcriberOf(Effect.fail(failure))).transcribe(failed))
      // a later round finds nothing: it reads the file
      assert.isUndefined(holder.service.take(done))
      assert.isUndefined(holder.service.take(failed))
    }))

  it.effect("lets the bytes go when the first attempt is interrupted", () =>
    Effect.gen(function*() {
      const holder = yield* InFlightAudio.make
      const item = Fakes.item("stopped.wav")
      holder.hold(item, bytes)
      const started = yield* Deferred.make<void>()
      const attempt = yield* holder.releasing(
        transcriberOf(Effect.zipRight(Deferred.succeed(started, undefined), Effect.never))
      )
        .transcribe(item).pipe(Effect.fork)
      yield* Deferred.await(started)
      yield* Fiber.interrupt(attempt)
      assert.isUndefined(holder.service.take(item))
    }))

  it.effect("lets the bytes go once the item waits on its remote task, before the attempt ends", () =>
    Effect.gen(function*() {
      const holder = yield* InFlightAudio.make
      const { sink } = yield* Fakes.memorySink()
      const item = Fakes.item("async.wav")
      const heldWhileWaiting: Array<boolean> = []
      // an async provider that re-attaches to a task it submitted in an earlier run: it never takes the bytes
      const transcriber = holder.releasing(transcriberOf(Effect.gen(function*() {
        yield* RunEvents.emit("polled", item.id, { data: { status: "RUNNING" } })
        heldWhileWaiting.push(holder.service.take(item) !== undefined)
        return Fakes.transcript("later")
      })))
      const summary = yield* PipelineRunner.run({
        runId: "r1",
        entries: Stream.make(Either.right(item)),
        sinks: [sink],
        concurrency: 1,
        probe: (probed) => Effect.sync(() => holder.hold(probed, bytes)).pipe(Effect.as(probed)),
        remoteWait: holder.letGo
      }).pipe(Effect.provideService(Transcriber, transcriber))
      assert.strictEqual(summary.done, 1)
      assert.deepStrictEqual(heldWhileWaiting, [false])
    }))
})
