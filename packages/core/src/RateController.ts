/**
 * The run's rate controller: one adaptive pacer per lane. A lane is what a provider's limit applies to:
 * an account (a hash of its key, never the key) × region × model × endpoint class (sync requests, async
 * submits, task queries, upload policies…); providers name their lanes.
 *
 * Each lane paces request *starts* (no bursts: a start waits for the previous one to have happened, so a
 * stalled event loop cannot release a burst of overdue starts) at a rate that adapts (`LaneState`): it
 * probes upward while nothing is throttled and backs off on a throttling 429, honouring `Retry-After`.
 * Quota and billing 429s (`QuotaExhausted`) are not throttling. What a lane learned is kept in the ledger
 * (when the run has one), so the next run starts near it.
 *
 * Why not Effect's own primitives here: `RateLimiter` is a token bucket (or fixed window) that starts
 * full, so its first burst is the whole limit (docs/PROTOCOL.md §10), and its limit is fixed at
 * construction; an adaptive limit must change the *rate of a pacer*. Adapting a semaphore's permits
 * (concurrency) instead storms the server: 429s come back in milliseconds and free their permits at once
 * (docs/ARCHITECTURE.md, The rate controller). Effect's `Metric` carries each lane's rate, requests (by outcome),
 * 429s and request latency;
 * `Schedule` stays the retry policy's.
 *
 * @since 0.2.0
 */
import { Cause, Clock, Context, Duration, Effect, Exit, Layer, Metric, Option, Redacted } from "effect"
import * as Fingerprint from "./Fingerprint.js"
import * as LaneMetrics from "./internal/laneMetrics.js"
import * as LaneStarts from "./internal/laneStarts.js"
import * as LaneState from "./LaneState.js"
import * as LaneStore from "./LaneStore.js"
import { Ledger } from "./Ledger.js"
import { LaneRecord } from "./LedgerRecords.js"
import type { RateLimitBlock } from "./Policies.js"
import type { TranscriptionError } from "./Transcriber.js"

// =============================================================================
// Lanes
// =============================================================================

/**
 * @since 0.2.0
 * @category models
 */
export interface LaneKey {
  readonly provider: string
  /** A hash of the account's key (`accountOf`), never the key. */
  readonly account: string
  readonly region: string
  /** The model, or `*` for a budget shared by every model (e.g. task queries). */
  readonly model: string
  /** The endpoint class: `sync`, `submit`, `query`, `policy`, … */
  readonly endpoint: string
}

/**
 * What a provider says about a lane: its key, the pipeline's `rate_limit` block (or a fixed one the
 * provider chooses, e.g. a documented query budget), and the documented limit in requests per minute.
 *
 * @since 0.2.0
 * @category models
 */
export interface LaneSpec {
  readonly key: LaneKey
  readonly rateLimit: RateLimitBlock
  readonly documented: number
}

/**
 * The highest rate an `auto` lane probes up to unless told otherwise (or the documented limit, if higher).
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultMaxPerMinute = 6000

/**
 * The account part of a lane key: 16 hex digits of the key's sha256.
 *
 * @since 0.2.0
 * @category utils
 */
export const accountOf = (key: Redacted.Redacted<string>): string =>
  Fingerprint.sha256OfText(Redacted.value(key)).slice(0, 16)

/**
 * The lane's id in the store and the ledger.
 *
 * @since 0.2.0
 * @category utils
 */
export const laneId = (key: LaneKey): string =>
  [key.provider, key.account, key.region, key.model, key.endpoint].join("|")

/** The lane as people read it (no account). */
const laneName = (key: LaneKey): string => `${key.provider} ${key.endpoint} ${key.model} ${key.region}`

/**
 * The policy of a lane from its `rate_limit` block, its documented limit and what an earlier run learned:
 * - `auto`: start at the learned rate (and limit), else at the documented limit in slow start; probe up
 *   to `defaultMaxPerMinute` (or the documented limit, if higher);
 * - `requests_per_minute: N`: start at N, which is also the known limit and, unless
 *   `max_requests_per_minute` says otherwise, the highest rate;
 * - `adaptive: false`: pinned at `requests_per_minute` (or the documented limit).
 *
 * @since 0.2.0
 * @category constructors
 */
export const policyFor = (
  rateLimit: RateLimitBlock,
  documented: number,
  learned: Option.Option<LaneRecord> = Option.none()
): LaneState.Policy => {
  const block = rateLimit === "auto" ? { adaptive: true } : rateLimit
  const told = block.requests_per_minute
  if (block.adaptive === false) {
    const pinned = told ?? documented
    return { initial: pinned, min: pinned, max: pinned, adaptive: false }
  }
  const max = block.max_requests_per_minute ?? told ?? Math.max(documented, defaultMaxPerMinute)
  const min = Math.min(1, max)
  if (told !== undefined) {
    return { initial: Math.min(told, max), min, max, adaptive: true, ceiling: max === told ? told : undefined }
  }
  if (Option.isSome(learned)) {
    // a run may end while probing above its estimate: the next one starts at or below 97 % of it
    const ceiling = learned.value.ceilingPerMinute
    const rate = ceiling === null
      ? learned.value.requestsPerMinute
      : Math.min(learned.value.requestsPerMinute, ceiling * 0.97)
    return {
      initial: Math.min(rate, max),
      min,
      max,
      adaptive: true,
      ceiling: learned.value.ceilingPerMinute ?? undefined
    }
  }
  return { initial: Math.min(documented, max), min, max, adaptive: true }
}

/**
 * How a request ended, for its lane: a `Throttled` error slows the lane; a quota or billing 429
 * (`QuotaExhausted`) and every other failure do not.
 *
 * @since 0.2.0
 * @category utils
 */
export const outcomeOf = <A>(exit: Exit.Exit<A, TranscriptionError>): LaneState.Outcome => {
  if (Exit.isSuccess(exit)) return { _tag: "Ok" }
  const error = Cause.failureOption(exit.cause)
  if (Option.isSome(error) && error.value.reason === "Throttled") {
    return { _tag: "Throttled", retryAfterMs: error.value.retryAfterMs }
  }
  return { _tag: "Other" }
}

// =============================================================================
// Service
// =============================================================================

/**
 * @since 0.2.0
 * @category models
 */
export interface Lane {
  readonly key: LaneKey
  readonly policy: LaneState.Policy
  /** Waits for the lane's next start slot. */
  readonly acquire: Effect.Effect<LaneState.Ticket>
  /** Tells the lane how a started request ended. */
  readonly report: (ticket: LaneState.Ticket, outcome: LaneState.Outcome) => Effect.Effect<void>
  /** `acquire`, run the request, `report` its outcome. Wrap it in the retry policy: each try is paced. */
  readonly paced: <A, R>(
    request: Effect.Effect<A, TranscriptionError, R>
  ) => Effect.Effect<A, TranscriptionError, R>
}

/**
 * A lane's numbers, for the summary.
 *
 * @since 0.2.0
 * @category models
 */
export interface LaneSnapshot {
  readonly lane: string
  readonly requestsPerMinute: number
  readonly ceilingPerMinute: number | null
  readonly starts: number
  readonly throttled: number
  /** Requests in flight the rate needs at the observed latency (Little's law). */
  readonly inFlightNeeded: number
}

/**
 * @since 0.2.0
 * @category context
 */
export class RateController extends Context.Tag("@asrflow/core/RateController")<
  RateController,
  RateController.Service
>() {}

/**
 * @since 0.2.0
 */
export declare namespace RateController {
  /**
   * @since 0.2.0
   * @category models
   */
  export interface Service {
    /** The lane of `spec.key` (made on first use; later specs for the same key get the same lane). */
    readonly lane: (spec: LaneSpec) => Effect.Effect<Lane>
    readonly snapshot: Effect.Effect<ReadonlyArray<LaneSnapshot>>
    /** Writes what every lane learned to the ledger (the layer does it when the run ends). */
    readonly flush: Effect.Effect<void>
  }
}

/** How often a changing lane is written to the ledger. */
const saveEveryMs = 5000

/**
 * A controller over the `LaneStore` in the context (else lanes in memory), remembering what it learns in
 * the `Ledger` when there is one.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make: Effect.Effect<RateController.Service> = Effect.gen(function*() {
  const store = Option.getOrUndefined(yield* Effect.serviceOption(LaneStore.LaneStore)) ?? (yield* LaneStore.memory)
  const ledger = Option.getOrUndefined(yield* Effect.serviceOption(Ledger))
  const lanes = new Map<string, Lane>()
  const saved = new Map<string, number>()
  const creating = yield* Effect.makeSemaphore(1)

  const save = (id: string, key: LaneKey, state: LaneState.State, now: number) =>
    ledger === undefined || state.starts === 0 ? Effect.void : Effect.zipRight(
      Effect.sync(() => saved.set(id, now)),
      ledger.recordLane(
        new LaneRecord({
          lane: id,
          ...key,
          requestsPerMinute: state.rate,
          ceilingPerMinute: state.ceiling,
          updatedAt: now
        })
      )
    )

  const build = (spec: LaneSpec) =>
    Effect.gen(function*() {
      const id = laneId(spec.key)
      const learned = ledger === undefined ? Option.none() : yield* ledger.lane(id)
      const policy = policyFor(spec.rateLimit, spec.documented, learned)
      const createdAt = yield* Clock.currentTimeMillis
      const init = () => LaneState.initial(policy, createdAt)
      const lock = yield* Effect.makeSemaphore(1)
      const tags = { lane: laneName(spec.key) }
      const { gauge, latency, requestsBy, throttled } = LaneMetrics.forLane(tags.lane)
      yield* Metric.set(gauge, policy.initial)

      const acquire = LaneStarts.acquire(
        lock,
        (now) => store.modify(id, init, (state) => LaneState.tryStart(state, policy, now))
      )

      const changed = (after: LaneState.State, now: number) =>
        Effect.zipRight(
          Metric.set(gauge, after.rate),
          Effect.zipRight(
            Effect.logDebug(`lane ${tags.lane}: ${Math.round(after.rate)} requests per minute`),
            Effect.suspend(() =>
              now - (saved.get(id) ?? 0) >= saveEveryMs ? save(id, spec.key, after, now) : Effect.void
            )
          )
        )
      const report = (ticket: LaneState.Ticket, outcome: LaneState.Outcome) =>
        Effect.clockWith((clock) => {
          const now = clock.unsafeCurrentTimeMillis()
          return Effect.flatMap(
            store.modify(id, init, (state) => {
              const next = LaneState.onOutcome(state, policy, now, ticket, outcome)
              return [[state, next] as const, next]
            }),
            ([before, after]) => {
              const counted = Metric.update(requestsBy[outcome._tag], 1)
              const noted = outcome._tag === "Throttled"
                ? Effect.zipRight(counted, Metric.increment(throttled))
                : counted
              return before.rate === after.rate && before.ceiling === after.ceiling
                ? noted
                : Effect.zipRight(noted, changed(after, now))
            }
          )
        })

      const lane: Lane = {
        key: spec.key,
        policy,
        acquire,
        report,
        paced: (request) =>
          Effect.flatMap(acquire, (ticket) =>
            Effect.clockWith((clock) => {
              const startedAt = clock.unsafeCurrentTimeNanos()
              return Effect.onExit(request, (exit) => {
                const reported = report(ticket, outcomeOf(exit))
                // what `Metric.trackDuration` records (a success's duration), before the report as it did
                return Exit.isSuccess(exit)
                  ? Effect.zipRight(
                    Metric.update(latency, Duration.nanos(clock.unsafeCurrentTimeNanos() - startedAt)),
                    reported
                  )
                  : reported
              })
            }))
      }
      return lane
    })

  const lane = (spec: LaneSpec) =>
    Effect.suspend(() => {
      const found = lanes.get(laneId(spec.key))
      if (found !== undefined) return Effect.succeed(found)
      return creating.withPermits(1)(Effect.suspend(() => {
        const again = lanes.get(laneId(spec.key))
        if (again !== undefined) return Effect.succeed(again)
        return Effect.tap(build(spec), (built) => Effect.sync(() => lanes.set(laneId(spec.key), built)))
      }))
    })

  const states = Effect.suspend(() =>
    Effect.forEach(
      [...lanes.values()],
      (lane) => Effect.map(store.get(laneId(lane.key)), (state) => [lane, state] as const)
    )
  )

  const snapshot = Effect.map(
    states,
    (all) =>
      all.flatMap(([lane, state]) =>
        Option.isNone(state) ? [] : [{
          lane: laneName(lane.key),
          requestsPerMinute: Math.round(state.value.rate * 10) / 10,
          ceilingPerMinute: state.value.ceiling === null ? null : Math.round(state.value.ceiling * 10) / 10,
          starts: state.value.starts,
          throttled: state.value.throttled,
          inFlightNeeded: LaneState.inFlightNeeded(state.value)
        }]
      )
  )

  const flush = Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.flatMap(
      states,
      (all) =>
        Effect.forEach(all, ([lane, state]) =>
          Option.isNone(state) ? Effect.void : save(laneId(lane.key), lane.key, state.value, now), { discard: true })
    ))

  return RateController.of({ lane, snapshot, flush })
})

/**
 * A controller for one run; what it learned is written to the ledger when the run ends.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer: Layer.Layer<RateController> = Layer.scoped(
  RateController,
  Effect.tap(make, (controller) => Effect.addFinalizer(() => controller.flush))
)

/**
 * The run's controller when the context has one, else a fresh one (a provider used on its own).
 *
 * @since 0.2.0
 * @category constructors
 */
export const fromContext: Effect.Effect<RateController.Service> = Effect.flatMap(
  Effect.serviceOption(RateController),
  Option.match({ onNone: () => make, onSome: Effect.succeed })
)
