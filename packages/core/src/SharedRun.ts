/**
 * How a worker takes part in a run shared through the `WorkQueue` (docs/ARCHITECTURE.md, Many machines):
 * - it plans its sources into the work table (idempotent: an item is inserted once, whoever plans it);
 * - its items then come from claims, not from its sources, until the run has nothing left, including
 *   the items of a worker that died (taken over when their lease expires);
 * - every ledger write about a claimed item runs in a transaction that first checks the lease (`fenced`);
 *   outputs are written only while the lease holds, and a lost lease ends the item on this worker
 *   without touching what its new owner records.
 *
 * @since 0.2.0
 */
import { SqlClient } from "@effect/sql"
import { Cause, Chunk, Duration, Effect, Either, Option, Schedule, Schema, Stream } from "effect"
import type { AudioItem } from "./AudioItem.js"
import type { SourceEntry } from "./AudioSource.js"
import type { Ledger } from "./Ledger.js"
import type * as PipelineRunner from "./PipelineRunner.js"
import type { ItemFailure } from "./PipelineRunner.js"
import * as RunEvents from "./RunEvents.js"
import type { Sink } from "./Sink.js"
import { Transcriber, TranscriptionError } from "./Transcriber.js"
import { Transcript } from "./Transcript.js"
import type { TranscriptResult } from "./Transcript.js"
import { LeaseLost, WorkQueue } from "./WorkQueue.js"

const encodeTranscript = Schema.encodeSync(Transcript)

/** Items claimed at once: small, so that a dead worker strands few items and others keep busy. */
const claimBatch = 4

/** How long a worker with nothing to claim waits before it looks again (others may die or finish). */
const idlePollMs = 500

/**
 * The ledger with every write about a claimed item fenced by its lease: the write and the lease check
 * run in one transaction, and a lost lease is a `LeaseLost` defect instead of a write.
 *
 * @since 0.2.0
 * @category constructors
 */
export const fenced = (ledger: Ledger.Service): Effect.Effect<Ledger.Service, never, SqlClient.SqlClient | WorkQueue> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const queue = yield* WorkQueue
    const guard = <A>(fingerprints: ReadonlyArray<string>, write: Effect.Effect<A>) =>
      sql.withTransaction(Effect.zipRight(queue.fence(fingerprints), write)).pipe(Effect.orDie)
    const ofJob = (jobId: string) =>
      sql<{ readonly fingerprint: string }>`SELECT fingerprint FROM asrflow_job_items WHERE job_id = ${jobId}`.pipe(
        Effect.map((rows) => rows.map((row) => row.fingerprint)),
        Effect.orDie
      )
    const guardJob = (jobId: string, write: Effect.Effect<void>) =>
      Effect.flatMap(ofJob(jobId), (fingerprints) => guard(fingerprints, write))
    return {
      ...ledger,
      markDone: (fingerprint, itemId) => guard([fingerprint], ledger.markDone(fingerprint, itemId)),
      markFailed: (fingerprint, itemId, error) => guard([fingerprint], ledger.markFailed(fingerprint, itemId, error)),
      recordStage: (fingerprint, fields) => guard([fingerprint], ledger.recordStage(fingerprint, fields)),
      clearStage: (fingerprint, name) => guard([fingerprint], ledger.clearStage(fingerprint, name)),
      clearStages: (fingerprint) => guard([fingerprint], ledger.clearStages(fingerprint)),
      beginJob: (fields) => guard(fields.items.map((item) => item.fingerprint), ledger.beginJob(fields)),
      jobSubmitted: (jobId, remoteId, state) => guardJob(jobId, ledger.jobSubmitted(jobId, remoteId, state)),
      endJob: (jobId, status, error) => guardJob(jobId, ledger.endJob(jobId, status, error))
    }
  })

/**
 * The entries this worker works on: its sources are planned into the run first (an item that cannot be
 * fingerprinted stays this worker's own, as a local failure), then items come from claims until the run
 * has none left unfinished.
 *
 * @since 0.2.0
 * @category constructors
 */
export const entries = (
  queue: WorkQueue.Service,
  sources: Stream.Stream<SourceEntry>,
  fingerprint: (item: AudioItem) => Effect.Effect<AudioItem, ItemFailure>
): Stream.Stream<SourceEntry> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const local: Array<SourceEntry> = []
    const planned: Array<AudioItem> = []
    yield* sources.pipe(
      Stream.mapEffect((entry) =>
        Either.isLeft(entry)
          ? Effect.sync(() => local.push(entry))
          : fingerprint(entry.right).pipe(
            Effect.match({
              onFailure: () => local.push(entry),
              onSuccess: (item) => planned.push(item)
            })
          ), { concurrency: 8 }),
      Stream.runDrain
    )
    const inserted = yield* queue.plan(planned, 0)
    yield* Effect.logInfo(`run ${queue.run}: planned ${planned.length} item(s), ${inserted} new to the run`)
    // a heartbeat every third of the lease: two can be missed (a slow database) before the lease ends
    yield* Effect.forkScoped(Effect.repeat(queue.heartbeat, Schedule.spaced(Duration.millis(queue.leaseMs / 3))))
    yield* Effect.addFinalizer(() => queue.release)
    const claims = Stream.repeatEffectChunkOption(
      Effect.gen(function*() {
        const claimed = yield* queue.claim(claimBatch)
        if (claimed.length > 0) return Chunk.fromIterable(claimed.map((item) => Either.right(item)))
        if ((yield* queue.remaining) === 0) return yield* Effect.fail(Option.none())
        yield* Effect.sleep(Duration.millis(idlePollMs))
        return Chunk.empty<SourceEntry>()
      })
    )
    return Stream.concat(Stream.fromIterable(local), claims)
  }))

const lostMessage = (lost: LeaseLost) => lost.message

const leaseLostOf = (cause: Cause.Cause<unknown>): Option.Option<LeaseLost> =>
  Chunk.findFirst(Cause.defects(cause), (defect): defect is LeaseLost => defect instanceof LeaseLost)

/**
 * The transcriber of a worker: an item whose lease was lost while it was worked on ends here with a
 * permanent error (its new owner records the outcome).
 *
 * @since 0.2.0
 * @category constructors
 */
export const transcriber = (inner: Transcriber["Type"]): Transcriber["Type"] =>
  Transcriber.of({
    ...inner,
    transcribe: (item) =>
      inner.transcribe(item).pipe(
        Effect.catchAllDefect((defect) =>
          defect instanceof LeaseLost
            ? Effect.fail(
              new TranscriptionError({
                provider: "asrflow",
                input: item.id,
                reason: "InvalidRequest",
                description: lostMessage(defect)
              })
            )
            : Effect.die(defect)
        )
      )
  })

/**
 * Sinks that write only while this worker holds the item's lease, so that a worker that lost it leaves
 * the outputs to the item's new owner.
 *
 * @since 0.2.0
 * @category constructors
 */
export const sinks = (queue: WorkQueue.Service, inner: ReadonlyArray<Sink.Service>): ReadonlyArray<Sink.Service> =>
  inner.map((sink) => ({
    ...sink,
    write: (result) =>
      result.item.fingerprint === undefined
        ? sink.write(result)
        : Effect.flatMap(queue.holds(result.item.fingerprint), (holds) => holds ? sink.write(result) : Effect.void)
  }))

/**
 * Records a finished item in the work table and the ledger, in one fenced transaction. A lost lease is
 * reported on the run log and leaves the records to the new owner.
 *
 * @since 0.2.0
 * @category constructors
 */
export const settle = (
  queue: WorkQueue.Service,
  ledger: Ledger.Service,
  item: AudioItem,
  outcome:
    | { readonly _tag: "Done"; readonly transcript: Transcript }
    | { readonly _tag: "Failed"; readonly failure: Record<string, unknown>; readonly message: string }
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const fingerprint = item.fingerprint
    if (fingerprint === undefined) return
    const write = outcome._tag === "Done"
      ? Effect.zipRight(
        queue.settle(fingerprint, { status: "done", result: { transcript: encodeTranscript(outcome.transcript) } }),
        ledger.markDone(fingerprint, item.id)
      )
      : Effect.zipRight(
        queue.settle(fingerprint, { status: "failed", result: { failure: outcome.failure }, error: outcome.message }),
        ledger.markFailed(fingerprint, item.id, outcome.message)
      )
    yield* queue.atomically(write).pipe(
      Effect.catchAllCause((cause) =>
        Option.match(leaseLostOf(cause), {
          onNone: () => Effect.failCause(cause),
          onSome: (lost) =>
            RunEvents.emit("skipped", item.id, { data: { reason: lostMessage(lost) } }).pipe(
              Effect.zipRight(Effect.logWarning(`${item.id}: ${lostMessage(lost)}`))
            )
        })
      )
    )
  })

const failureOf = (result: TranscriptResult, message: string): Record<string, unknown> =>
  result._tag === "Failed"
    ? {
      phase: result.phase,
      reason: result.reason,
      message: result.message,
      ...(result.requestId === undefined ? {} : { requestId: result.requestId }),
      ...(result.taskId === undefined ? {} : { taskId: result.taskId })
    }
    : { phase: "sink", reason: "SinkError", message }

/**
 * The runner's options for a worker of a shared run: claimed entries, lease-checked sinks, and the
 * outcome of each item recorded in the work table with the ledger.
 *
 * @since 0.2.0
 * @category constructors
 */
export const options = (
  queue: WorkQueue.Service,
  ledger: Ledger.Service,
  base: PipelineRunner.Options,
  fingerprint: (item: AudioItem) => Effect.Effect<AudioItem, ItemFailure>
): PipelineRunner.Options => ({
  ...base,
  entries: entries(queue, base.entries, fingerprint),
  sinks: sinks(queue, base.sinks),
  // every item is settled in the work table, the skipped ones too: none is skipped before it is claimed
  knownDone: undefined,
  // an item an earlier run finished is finished for this run too
  isDone: (item) =>
    Effect.tap(base.isDone?.(item) ?? Effect.succeed(false), (done) =>
      done && item.fingerprint !== undefined
        ? queue.atomically(queue.settle(item.fingerprint, { status: "done", result: { skipped: true } })).pipe(
          Effect.catchAllDefect((defect) => defect instanceof LeaseLost ? Effect.void : Effect.die(defect))
        )
        : Effect.void),
  markDone: (item, transcript) => settle(queue, ledger, item, { _tag: "Done", transcript }),
  markFailed: (result, message) =>
    settle(queue, ledger, result.item, { _tag: "Failed", failure: failureOf(result, message), message })
})
