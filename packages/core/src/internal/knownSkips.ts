/**
 * A resumed run's skips before admission: the listing is checked a chunk at a time, and each entry the ledger
 * has done with its file unchanged (`PipelineRunner.Options.knownDone`) is skipped there, with the events and
 * the count of any skipped item; the other entries go on to admission in their order.
 *
 * @since 0.3.0
 */
import { Chunk, Clock, Effect, Either, FiberRef, Option, Ref } from "effect"
import type { AudioItem } from "../AudioItem.js"
import type { SourceEntry } from "../AudioSource.js"
import * as PhaseSpan from "../PhaseSpan.js"
import * as RunEvents from "../RunEvents.js"
import type { StopSignal } from "../StopSignal.js"
import * as Summary from "../Summary.js"

/**
 * How many listed entries are checked at once: large enough that the ledger's statements and the stats are
 * shared by many items, small enough that the first new item of a chunk is admitted soon.
 *
 * @since 0.3.0
 * @category constants
 */
export const checkedAtOnce = 512

/**
 * @since 0.3.0
 * @category models
 */
export interface Options {
  readonly knownDone: (items: ReadonlyArray<AudioItem>) => Effect.Effect<ReadonlyArray<AudioItem | undefined>>
  readonly stop: Option.Option<StopSignal["Type"]>
  readonly tally: Ref.Ref<Summary.Tally>
  readonly provider: string
  readonly route: (item: AudioItem) => string
}

const stopped = (stop: Option.Option<StopSignal["Type"]>): Effect.Effect<boolean> =>
  Option.isNone(stop) ? Effect.succeed(false) : Effect.map(stop.value.poll, Option.isSome)

/**
 * The chunk without the entries skipped as known done. After a stop, nothing is checked nor counted: the chunk
 * goes on as it is, and the runner starts none of it.
 *
 * @since 0.3.0
 * @category constructors
 */
export const make = (options: Options) => (chunk: Chunk.Chunk<SourceEntry>): Effect.Effect<Chunk.Chunk<SourceEntry>> =>
  Effect.gen(function*() {
    if (yield* stopped(options.stop)) return chunk
    const entries = Chunk.toReadonlyArray(chunk)
    const listed = entries.flatMap((entry, index) => Either.isRight(entry) ? [{ index, item: entry.right }] : [])
    if (listed.length === 0) return chunk
    const known = yield* options.knownDone(listed.map(({ item }) => item))
    // a stop that came while the chunk was checked: its entries go on unchecked, as above
    if (yield* stopped(options.stop)) return chunk
    const skipped = new Set<number>()
    const events = yield* Effect.serviceOption(RunEvents.RunEvents)
    const traced = yield* FiberRef.get(FiberRef.currentTracerEnabled)
    for (const [at, { index, item }] of listed.entries()) {
      const probed = known[at]
      if (probed === undefined) continue
      skipped.add(index)
      if (Option.isSome(events)) {
        const skip = emitSkip(events.value, item, probed)
        yield* traced ?
          skip.pipe(
            Effect.tap(() => Effect.annotateCurrentSpan(PhaseSpan.attributes.route, options.route(probed))),
            PhaseSpan.item(item.id, {
              [PhaseSpan.attributes.outputKey]: item.outputKey,
              [PhaseSpan.attributes.provider]: options.provider
            })
          ) :
          skip
      }
    }
    if (skipped.size === 0) return chunk
    yield* Ref.update(options.tally, (tally) => Summary.skip(tally, skipped.size))
    return Chunk.unsafeFromArray(entries.filter((_, index) => !skipped.has(index)))
  })

// the events of a skipped item, as the runner gives them for one it probed
const emitSkip = (events: RunEvents.RunEvents["Type"], item: AudioItem, probed: AudioItem): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const at = new Date(now).toISOString()
    return Effect.zipRight(
      events.emit({ phase: "planned", item: item.id, at, data: { output_key: item.outputKey, origin: item.origin } }),
      Effect.zipRight(
        events.emit({
          phase: "probed",
          item: item.id,
          at,
          durationMs: 0,
          data: {
            audio_seconds: probed.durationMs === undefined ? undefined : probed.durationMs / 1000,
            bytes: probed.sizeBytes,
            container: probed.container
          }
        }),
        events.emit({ phase: "skipped", item: item.id, at, data: { reason: "already done (ledger)" } })
      )
    )
  })
