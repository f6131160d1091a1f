/**
 * The generic batch runner: entries in, each probed, transcribed and written to every sink. One item's
 * failure becomes a `Failed` result; only a fatal provider error (a rejected key) stops the run early.
 *
 * - `concurrency` is a cap: which items are worked on at once follows the rate (`Admission`).
 * - A run-level retry budget: an item whose transient failure outlived the provider's retries goes back
 *   behind the items waiting for a slot, after a longer backoff (`RetryPolicy.roundDelay`), up to
 *   `retry.rounds` times, before it is reported failed. Permanent failures are never retried.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Either, Option, Ref, Schema, Stream } from "effect"
import * as Admission from "./Admission.js"
import { AudioItem } from "./AudioItem.js"
import type { SourceEntry, SourceError } from "./AudioSource.js"
import * as AdmittedFibers from "./internal/admittedFibers.js"
import * as ItemStops from "./internal/itemStops.js"
import * as KnownSkips from "./internal/knownSkips.js"
import * as PhaseSpan from "./PhaseSpan.js"
import { RateController } from "./RateController.js"
import * as RetryPolicy from "./RetryPolicy.js"
import * as RunEvents from "./RunEvents.js"
import type { Sink } from "./Sink.js"
import { StopSignal } from "./StopSignal.js"
import * as Summary from "./Summary.js"
import { Transcriber, type TranscriptionError } from "./Transcriber.js"
import { Failed, Transcribed, type Transcript, type TranscriptResult } from "./Transcript.js"

/**
 * A failure of one item before the provider sees it (probing, fingerprinting), with a message for the user.
 *
 * @since 0.1.0
 * @category errors
 */
export class ItemFailure extends Schema.TaggedError<ItemFailure>("@asrflow/core/ItemFailure")("ItemFailure", {
  reason: Schema.String,
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly runId: string
  readonly entries: Stream.Stream<SourceEntry>
  readonly sinks: ReadonlyArray<Sink.Service>
  /** The most items worked on at once (async items waiting on a server do not count). */
  readonly concurrency: number
  readonly probe: (item: AudioItem) => Effect.Effect<AudioItem, ItemFailure>
  /**
   * For each item of a chunk of the listing, in order: the probed and fingerprinted item when the ledger has it
   * done and its file is unchanged (it is then skipped before it takes a slot, without being probed), or
   * undefined.
   */
  readonly knownDone?:
    | ((items: ReadonlyArray<AudioItem>) => Effect.Effect<ReadonlyArray<AudioItem | undefined>>)
    | undefined
  /** True when the ledger already has this (probed) item done; it is then skipped. */
  readonly isDone?: ((item: AudioItem) => Effect.Effect<boolean>) | undefined
  /** Called once every sink has written the item. */
  readonly markDone?: ((item: AudioItem, transcript: Transcript) => Effect.Effect<void>) | undefined
  /** The absolute path of a file a sink names (relative to the output root), for the `written` event. */
  readonly outputPath?: ((relative: string) => string) | undefined
  /** Called once every sink has received a failed item (or an item a sink could not write). */
  readonly markFailed?: ((result: TranscriptResult, message: string) => Effect.Effect<void>) | undefined
  /** Called when an item starts to wait on its remote task (it was submitted, or re-attached and polled). */
  readonly remoteWait?: ((itemId: string) => void) | undefined
}

/**
 * A stand-in item for a source entry that never became one, so the failure still reaches the sinks.
 *
 * @since 0.1.0
 * @category constructors
 */
export const itemForSourceError = (error: SourceError): AudioItem =>
  new AudioItem({
    id: error.location,
    source: error.location,
    kind: "file",
    outputKey: `_rejected/${error.location.replace(/[^\p{L}\p{N}._-]+/gu, "_")}`,
    origin: error.source
  })

const failedFromSource = (error: SourceError): Failed =>
  new Failed({ item: itemForSourceError(error), phase: "source", reason: error.reason, message: error.message })

const failedFromTranscription = (item: AudioItem, error: TranscriptionError): Failed =>
  new Failed({
    item,
    phase: "transcribe",
    reason: error.reason,
    message: error.message,
    requestId: error.requestId,
    taskId: error.taskId
  })

const elapsedSince = (start: number) => Effect.map(Clock.currentTimeMillis, (now) => now - start)

/**
 * Runs a batch and returns its summary. It never fails: a fatal provider error (a rejected key) stops
 * the run and is in `summary.aborted` (exit code 3); a sink that cannot finish its files, or a run log
 * that cannot be written, is in `summary.errors` (exit code 1).
 *
 * With a `StopSignal` in the context, a requested stop ends the listing (no new item starts); an item
 * waiting on a remote task is let go at once (its task is in the ledger for the next run), and any other
 * item in flight gets the stop's grace period to finish its request, then is let go too. The summary
 * then says `stopped` and counts the items let go as `unfinished`.
 *
 * Each item runs in an `asrflow.item` span (its probe and sink writes in phase spans) whose attributes
 * say what an operator filters on: model, route, audio seconds, outcome, retries, request id.
 *
 * @since 0.1.0
 * @category constructors
 */
export const run = Effect.fnUntraced(function*(options: Options) {
  const transcriber = yield* Transcriber
  const startedAt = yield* Clock.currentTimeMillis
  const tally = yield* Ref.make(Summary.emptyTally())
  const gate = yield* Admission.make({ cap: options.concurrency })
  const retry = transcriber.retry ?? RetryPolicy.defaults
  const stop = yield* Effect.serviceOption(StopSignal)
  const outerEvents = yield* Effect.serviceOption(RunEvents.RunEvents)
  /** Items waiting for their next round, with the failure that sent them back: failed if the run stops. */
  const waiting = new Map<string, { readonly item: AudioItem; readonly error: TranscriptionError }>()
  // items whose remote task runs on its own, or that wait for a round: a stop need not wait for them
  const stops = Option.isNone(stop) ? undefined : yield* ItemStops.make(stop.value)
  const markIdle = (item: string) => stops?.idle(item)
  const events = RunEvents.RunEvents.of({
    emit: (event) =>
      Effect.suspend(() => {
        if (event.phase === "submitted" || event.phase === "polled") {
          markIdle(event.item)
          options.remoteWait?.(event.item)
        }
        return Option.isSome(outerEvents) ? outerEvents.value.emit(event) : Effect.void
      }),
    problems: Option.isSome(outerEvents) ? outerEvents.value.problems : undefined
  })

  /** Transcribes with the run-level retry budget; `slot` is the item's current slot (it changes per round). */
  const transcribeRounds = (item: AudioItem, slot: Ref.Ref<Admission.Slot>) =>
    Effect.gen(function*() {
      for (let round = 0;; round++) {
        const attempt = yield* transcriber.transcribe(item).pipe(
          Admission.within(yield* Ref.get(slot)),
          Effect.either
        )
        if (Either.isRight(attempt)) return attempt.right
        const error = attempt.left
        if (error.isFatal || !error.isRetryable || round >= retry.rounds) return yield* Effect.fail(error)
        if (round === 0) yield* Ref.update(tally, Summary.requeue)
        const delay = RetryPolicy.roundDelay(retry, round + 1, error.retryAfterMs)
        yield* RunEvents.emit("requeued", item.id, {
          data: { round: round + 2, of: retry.rounds + 1, after_ms: Duration.toMillis(delay), reason: error.message }
        })
        yield* gate.release(yield* Ref.get(slot))
        waiting.set(item.id, { item, error })
        markIdle(item.id)
        yield* Effect.sleep(delay)
        yield* Ref.set(slot, yield* gate.admit)
        waiting.delete(item.id)
        stops?.busy(item.id)
      }
    })

  const transcribeItem = (
    item: AudioItem,
    slot: Ref.Ref<Admission.Slot>
  ): Effect.Effect<Option.Option<TranscriptResult>, TranscriptionError> =>
    Effect.gen(function*() {
      yield* RunEvents.emit("planned", item.id, { data: { output_key: item.outputKey, origin: item.origin } })
      const probeStart = yield* Clock.currentTimeMillis
      const probed = yield* options.probe(item).pipe(PhaseSpan.phase("probe"), Effect.either)
      if (Either.isLeft(probed)) {
        return Option.some<TranscriptResult>(
          new Failed({ item, phase: "probe", reason: probed.left.reason, message: probed.left.message })
        )
      }
      yield* RunEvents.emit("probed", item.id, {
        durationMs: yield* elapsedSince(probeStart),
        data: {
          audio_seconds: probed.right.durationMs === undefined ? undefined : probed.right.durationMs / 1000,
          bytes: probed.right.sizeBytes,
          container: probed.right.container
        }
      })
      yield* PhaseSpan.annotate(() => ({ [PhaseSpan.attributes.route]: transcriber.plan(probed.right).route }))
      if (options.isDone && (yield* options.isDone(probed.right))) {
        yield* Ref.update(tally, Summary.skip)
        yield* RunEvents.emit("skipped", item.id, { data: { reason: "already done (ledger)" } })
        return Option.none()
      }
      const start = yield* Clock.currentTimeMillis
      const transcribed = yield* transcribeRounds(probed.right, slot).pipe(
        // both parts are valid already: not validated again
        Effect.map((transcript): TranscriptResult => new Transcribed({ item: probed.right, transcript }, true)),
        Effect.catchIf(
          (error) => !error.isFatal,
          (error) => Effect.succeed(failedFromTranscription(probed.right, error))
        )
      )
      if (transcribed._tag === "Transcribed") {
        yield* RunEvents.emit("transcribed", item.id, {
          durationMs: yield* elapsedSince(start),
          data: {
            model: transcribed.transcript.model,
            usage_seconds: transcribed.transcript.usageSeconds,
            request_id: transcribed.transcript.requestId
          }
        })
      }
      return Option.some(transcribed)
    }).pipe(Effect.annotateLogs({ item: item.id }))
  const write = (result: TranscriptResult) =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const outcomes = yield* Effect.forEach(options.sinks, (sink) => Effect.either(sink.write(result))).pipe(
        PhaseSpan.phase("sink.write")
      )
      const sinkFailures = outcomes.flatMap((outcome) => Either.isLeft(outcome) ? [outcome.left.message] : [])
      const billed = result._tag === "Transcribed" ? result.transcript.usageSeconds : undefined
      const price = billed === undefined ? undefined : transcriber.plan(result.item).price
      yield* Ref.update(tally, (current) => {
        const counted = Summary.add(current, result, sinkFailures)
        return billed === undefined || price === undefined ? counted : Summary.charge(counted, billed, price)
      })
      const audioSeconds = result.item.durationMs === undefined ? undefined : result.item.durationMs / 1000
      const done = result._tag === "Transcribed" && sinkFailures.length === 0
      yield* PhaseSpan.annotate(() => ({
        [PhaseSpan.attributes.outcome]: done ? "done" : "failed",
        [PhaseSpan.attributes.audioSeconds]: audioSeconds,
        ...(result._tag === "Transcribed"
          ? {
            [PhaseSpan.attributes.model]: result.transcript.model,
            [PhaseSpan.attributes.billedSeconds]: result.transcript.usageSeconds,
            [PhaseSpan.attributes.requestId]: result.transcript.requestId,
            [PhaseSpan.attributes.taskId]: result.transcript.taskId
          }
          : {
            [PhaseSpan.attributes.reason]: result.reason,
            [PhaseSpan.attributes.requestId]: result.requestId,
            [PhaseSpan.attributes.taskId]: result.taskId
          })
      }))
      if (result._tag === "Transcribed" && sinkFailures.length === 0) {
        if (options.markDone) yield* options.markDone(result.item, result.transcript)
        const outputs = options.sinks.flatMap((sink) => sink.outputsFor?.(result) ?? [])
        yield* RunEvents.emit("written", result.item.id, {
          durationMs: yield* elapsedSince(start),
          data: {
            outputs: options.outputPath === undefined ? outputs : outputs.map(options.outputPath),
            audio_seconds: audioSeconds
          }
        })
      } else {
        const message = result._tag === "Failed" ? result.message : sinkFailures.join("; ")
        if (options.markFailed) yield* options.markFailed(result, message)
        yield* RunEvents.emit("failed", result.item.id, {
          data: {
            phase: result._tag === "Failed" ? result.phase : "sink",
            message,
            reason: result._tag === "Failed" ? result.reason : "Sink"
          }
        })
      }
    })

  const processEntry = (entry: SourceEntry, slot: Ref.Ref<Admission.Slot>) =>
    Either.isLeft(entry)
      ? write(failedFromSource(entry.left))
      : PhaseSpan.withRetryCount((retries) =>
        transcribeItem(entry.right, slot).pipe(
          Effect.flatMap(Option.match({ onNone: () => Effect.void, onSome: write })),
          Effect.tap(() => PhaseSpan.annotate(() => ({ [PhaseSpan.attributes.retries]: retries.count })))
        )
      ).pipe(
        PhaseSpan.item(entry.right.id, {
          [PhaseSpan.attributes.outputKey]: entry.right.outputKey,
          [PhaseSpan.attributes.provider]: transcriber.provider
        })
      )

  const stoppable = (entry: SourceEntry, slot: Ref.Ref<Admission.Slot>) => {
    if (stops === undefined) return processEntry(entry, slot)
    const item = Either.isLeft(entry) ? entry.left.location : entry.right.id
    // an item let go while waiting for a round is written failed at the end, not counted unfinished
    return stops.guard(
      item,
      processEntry(entry, slot),
      Effect.suspend(() => waiting.has(item) ? Effect.void : Ref.update(tally, Summary.leave))
    )
  }

  const interruptible = Option.isNone(stop)
    ? options.entries
    : Stream.interruptWhen(options.entries, stop.value.requested)
  const listed = options.knownDone === undefined ? interruptible : interruptible.pipe(
    Stream.rechunk(KnownSkips.checkedAtOnce),
    Stream.mapChunksEffect(KnownSkips.make({
      knownDone: options.knownDone,
      stop,
      tally,
      provider: transcriber.provider,
      route: (item) => transcriber.plan(item).route
    }))
  )
  const aborted = yield* AdmittedFibers.forEachAdmitted({
    stream: listed,
    // admission is sequential, so the source is read only as fast as items are admitted; an item's slot
    // changes with its rounds
    admit: Effect.flatMap(gate.admit, Ref.make),
    release: (slot) => Effect.flatMap(Ref.get(slot), gate.release),
    work: stoppable
  }).pipe(
    Effect.as(Option.none<string>()),
    Effect.catchAll((error) => Effect.succeed(Option.some(`${error.message}. The run was stopped.`))),
    Effect.provideService(RunEvents.RunEvents, events)
  )
  if (stops !== undefined) yield* stops.close
  // a stopped run's items that were waiting for another round failed with their last failure
  yield* Effect.forEach([...waiting.values()], ({ error, item }) => write(failedFromTranscription(item, error)), {
    discard: true
  }).pipe(Effect.provideService(RunEvents.RunEvents, events))
  // files that span items are finished only now; each sink that cannot finish its files is named
  const flushed = yield* Effect.forEach(options.sinks, (sink) => Effect.either(sink.flush ?? Effect.void))
  const errors = [
    ...flushed.flatMap((outcome) => Either.isLeft(outcome) ? [outcome.left.message] : []),
    ...(Option.isSome(outerEvents) && outerEvents.value.problems !== undefined ? yield* outerEvents.value.problems : [])
  ]
  const controller = yield* Effect.serviceOption(RateController)
  const lanes = Option.isSome(controller) ? yield* controller.value.snapshot : []
  return Summary.fromTally(yield* Ref.get(tally), {
    runId: options.runId,
    elapsedMs: yield* elapsedSince(startedAt),
    errors,
    aborted: Option.getOrUndefined(aborted),
    stopped: Option.isSome(stop) ? Option.getOrUndefined(yield* stop.value.poll) : undefined,
    lanes: lanes.map((lane) => ({
      lane: lane.lane,
      requests_per_minute: lane.requestsPerMinute,
      ceiling_per_minute: lane.ceilingPerMinute,
      starts: lane.starts,
      throttled: lane.throttled,
      in_flight_needed: lane.inFlightNeeded
    }))
  })
})
