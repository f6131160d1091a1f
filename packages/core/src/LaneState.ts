/**
 * How one lane's request rate evolves: a pure state machine over plain data, so that any `LaneStore`
 * (in memory, or a SQL row shared by several workers) can hold it.
 *
 * - **Pacing.** A start is due one spacing (`60 s / rate`) after the slot of the previous one, never
 *   sooner than half a spacing after the previous start *happened*, and never before a `Retry-After`
 *   pause ends. A timer that fires a little late does not lower the rate (the next start makes up for
 *   it), and a stall releases no early start, let alone a burst.
 * - **Additive increase.** A window (at least 2 s and 10 starts; 15 before the first raise; 30 when probing
 *   above a known limit) in which the lane used its rate (callers started at least 80 % of what it
 *   allowed, so the pacer, not the callers, set the pace) and no request was throttled raises the rate:
 *   ×2 while no limit is known (slow start), then halfway to 97 % of the estimated limit, then by 1 % of
 *   the estimate per window (doubling while windows keep passing clean above it, up to 10 %).
 * - **Multiplicative decrease.** A throttled request started after the last decrease cuts the rate
 *   (×0.5 the first time, ×0.8 after), and to 97 % of the estimated limit when that is lower. Without an
 *   estimate (429s with nothing accepted between them) it stops at a quarter of the last known limit.
 * - **The estimated limit.** Each throttled start is a moment when the server's budget was empty. Between
 *   two such moments the server accepted exactly its sustained rate (give or take one request), so
 *   `accepted starts between them / elapsed` estimates the limit, whatever the size of its burst
 *   (`estimate`). A token
 *   bucket that hides an overshoot for a while (docs/PROTOCOL.md §10) cannot fool it.
 *
 * Quota and billing answers are not throttling and never reach `throttled` (see `RateController`).
 *
 * @since 0.2.0
 */
import { Schema } from "effect"

// =============================================================================
// Models
// =============================================================================

/**
 * What a lane may do: start at `initial`, stay within `[min, max]`, adapt or stay pinned. `ceiling` is a
 * limit known in advance (told by the pipeline, or learned by an earlier run); without one the lane
 * starts in slow start.
 *
 * @since 0.2.0
 * @category models
 */
export interface Policy {
  readonly initial: number
  readonly min: number
  readonly max: number
  readonly adaptive: boolean
  readonly ceiling?: number | undefined
}

/**
 * @since 0.2.0
 * @category schemas
 */
export const Window = Schema.Struct({
  startedAt: Schema.Number,
  starts: Schema.Number,
  throttled: Schema.Number
})

/**
 * A lane's whole state, in requests per minute and epoch milliseconds. JSON-serialisable.
 *
 * @since 0.2.0
 * @category schemas
 */
export const State = Schema.Struct({
  rate: Schema.Number,
  ceiling: Schema.NullOr(Schema.Number),
  lastStartAt: Schema.NullOr(Schema.Number),
  /** The slot the last start was due at (it may have happened a little later). */
  lastSlotAt: Schema.NullOr(Schema.Number),
  pausedUntil: Schema.Number,
  lastDecreaseAt: Schema.Number,
  window: Window,
  /** Consecutive clean windows above the estimated limit: the probe step doubles with each. */
  probes: Schema.Number,
  /** Starts so far, and throttled answers so far. */
  starts: Schema.Number,
  throttled: Schema.Number,
  /** `[start time, accepted starts before it]` of recent throttled starts. */
  marks: Schema.Array(Schema.Tuple(Schema.Number, Schema.Number)),
  /** Smoothed request latency (start to answer), for Little's law. */
  latencyMs: Schema.NullOr(Schema.Number)
})

/**
 * @since 0.2.0
 * @category models
 */
export type State = typeof State.Type

/**
 * A granted start: when it happened and its sequence number in the lane.
 *
 * @since 0.2.0
 * @category models
 */
export interface Ticket {
  readonly startedAt: number
  readonly seq: number
}

/**
 * How a started request ended, as far as the rate is concerned.
 *
 * @since 0.2.0
 * @category models
 */
export type Outcome =
  | { readonly _tag: "Ok" }
  | { readonly _tag: "Throttled"; readonly retryAfterMs?: number | undefined }
  | { readonly _tag: "Other" }

/**
 * @since 0.2.0
 * @category models
 */
export type Step = { readonly _tag: "Started"; readonly ticket: Ticket } | {
  readonly _tag: "Wait"
  readonly ms: number
}

// =============================================================================
// Tuning
// =============================================================================

const windowMinMs = 2000
const windowMinStarts = 10
const firstWindowMinStarts = 15
// near a known limit every probe above it costs a 429 or two: probe once per 30 starts at most
const probeWindowMinStarts = 30
const slowStart = 2
const firstDecrease = 0.5
const decrease = 0.8
const target = 0.97
const burstFloor = 0.25
const probeStep = 0.01
const probeStepMax = 0.1
const markSpanMs = 1000
const markMinAccepted = 4
const markGoodAccepted = 20
const markHorizonMs = 60_000
const marksKept = 16
const latencyWeight = 0.2

// =============================================================================
// Transitions
// =============================================================================

const clamp = (rate: number, policy: Policy) => Math.min(policy.max, Math.max(policy.min, rate))

const freshWindow = (now: number) => ({ startedAt: now, starts: 0, throttled: 0 })

/** The share of its rate a lane must have used in a window to probe upward. */
const usedShare = 0.8

/**
 * The state of a lane nobody has used yet (or with the rate and limit an earlier run learned).
 *
 * @since 0.2.0
 * @category constructors
 */
export const initial = (policy: Policy, now: number): State => ({
  rate: clamp(policy.initial, policy),
  ceiling: policy.ceiling ?? null,
  lastStartAt: null,
  lastSlotAt: null,
  pausedUntil: 0,
  lastDecreaseAt: -1,
  window: freshWindow(now),
  probes: 0,
  starts: 0,
  throttled: 0,
  marks: [],
  latencyMs: null
})

/**
 * The limit implied by throttled starts, in requests per minute: the accepted starts between the newest
 * throttled start and an earlier one, over the time between them (the server's budget was empty at both,
 * so this is its sustained rate, give or take one request). The earlier mark is the newest that leaves
 * 20 accepted starts between them (a fresh estimate, still within 5 %), else the oldest that leaves 4.
 *
 * @since 0.2.0
 * @category utils
 */
export const estimate = (marks: State["marks"]): number | undefined => {
  const newest = marks[marks.length - 1]
  if (newest === undefined) return undefined
  let oldest: number | undefined
  for (let i = marks.length - 2; i >= 0; i--) {
    const [at, accepted] = marks[i]!
    const span = newest[0] - at
    const between = newest[1] - accepted
    if (span < markSpanMs || between < markMinAccepted) continue
    const limit = (between * 60_000) / span
    if (between >= markGoodAccepted) return limit
    oldest = limit
  }
  return oldest
}

/** Ends the window once it is long enough: a clean window in which the lane used its rate raises it. */
const closeWindow = (state: State, policy: Policy, now: number): State => {
  const window = state.window
  const elapsed = now - window.startedAt
  const probing = state.ceiling !== null && state.rate >= state.ceiling * target * 0.99
  // the first raise waits a little longer: a server's burst may still hide that the first rate is too high
  const first = state.ceiling === null && state.rate <= policy.initial
  const minStarts = probing ? probeWindowMinStarts : first ? firstWindowMinStarts : windowMinStarts
  if (elapsed < Math.max(windowMinMs, (minStarts * 60_000) / state.rate)) return state
  // a lane whose callers cannot keep up (a slow machine, a small concurrency) learns nothing by going faster
  const saturated = window.starts >= (usedShare * state.rate * elapsed) / 60_000
  if (!policy.adaptive || window.throttled > 0 || !saturated) return { ...state, window: freshWindow(now) }
  const ceiling = state.ceiling
  let rate = state.rate
  let probes = state.probes
  if (ceiling === null) {
    rate = rate * slowStart
  } else if (rate < ceiling * target * 0.99) {
    rate = rate + (ceiling * target - rate) / 2
  } else {
    rate = rate + ceiling * Math.min(probeStepMax, probeStep * 2 ** probes)
    probes = rate > ceiling ? probes + 1 : 0
  }
  return { ...state, rate: clamp(rate, policy), probes, window: freshWindow(now) }
}

/**
 * Asks for a start at `now`: either it is granted (and recorded as the lane's last start) or the caller
 * must wait `ms` and ask again.
 *
 * @since 0.2.0
 * @category transitions
 */
export const tryStart = (state: State, policy: Policy, now: number): readonly [Step, State] => {
  const current = closeWindow(state, policy, now)
  const spacing = 60_000 / current.rate
  const due = current.lastStartAt === null || current.lastSlotAt === null
    ? Math.max(current.pausedUntil, now)
    : Math.max(current.lastSlotAt + spacing, current.lastStartAt + spacing / 2, current.pausedUntil)
  if (now < due) return [{ _tag: "Wait", ms: Math.ceil(due - now) }, current]
  const seq = current.starts + 1
  const window = current.window
  return [
    { _tag: "Started", ticket: { startedAt: now, seq } },
    {
      ...current,
      lastStartAt: now,
      // a start a little late (a timer fires late) keeps its slot, so the next one makes up for it; one
      // later than half a spacing (a stall, an idle lane) is owed nothing
      lastSlotAt: now - due <= spacing / 2 ? due : now,
      starts: seq,
      window: { ...window, starts: window.starts + 1 }
    }
  ]
}

const throttledAt = (state: State, policy: Policy, now: number, ticket: Ticket, retryAfterMs?: number): State => {
  const pausedUntil = retryAfterMs === undefined ? state.pausedUntil : Math.max(state.pausedUntil, now + retryAfterMs)
  const throttled = state.throttled + 1
  if (!policy.adaptive) return { ...state, pausedUntil, throttled }
  const mark = [ticket.startedAt, ticket.seq - 1 - state.throttled] as const
  const marks = [...state.marks, mark].filter(([at]) => at >= ticket.startedAt - markHorizonMs).slice(-marksKept)
  const window = { ...state.window, throttled: state.window.throttled + 1 }
  const noted = { ...state, pausedUntil, throttled, marks, window }
  // a request sent before the last decrease was sent too fast for the old rate: that was answered already
  if (ticket.startedAt < state.lastDecreaseAt) return noted
  const limit = estimate(marks)
  const factor = state.ceiling === null ? firstDecrease : decrease
  const ceiling = limit ?? state.ceiling ?? state.rate
  // 429s with nothing accepted between them (an outage, a burst of refusals) say nothing about the limit:
  // without an estimate the lane does not fall below a quarter of what it knew
  const floor = limit === undefined ? ceiling * burstFloor : 0
  const rate = clamp(
    Math.max(floor, Math.min(state.rate * factor, limit === undefined ? Infinity : limit * target)),
    policy
  )
  return { ...noted, rate, ceiling, probes: 0, lastDecreaseAt: now, window: freshWindow(now) }
}

/**
 * Records how a started request ended: a throttled one slows the lane (and pauses it for `Retry-After`);
 * a successful one updates the smoothed latency.
 *
 * @since 0.2.0
 * @category transitions
 */
export const onOutcome = (state: State, policy: Policy, now: number, ticket: Ticket, outcome: Outcome): State => {
  switch (outcome._tag) {
    case "Throttled":
      return throttledAt(state, policy, now, ticket, outcome.retryAfterMs)
    case "Ok": {
      const latency = Math.max(0, now - ticket.startedAt)
      return {
        ...state,
        latencyMs: state.latencyMs === null ? latency : state.latencyMs + latencyWeight * (latency - state.latencyMs)
      }
    }
    case "Other":
      return state
  }
}

/**
 * Requests in flight that the lane's rate needs at its observed latency (Little's law: L = λ × W).
 *
 * @since 0.2.0
 * @category utils
 */
export const inFlightNeeded = (state: State): number =>
  state.latencyMs === null ? 1 : Math.max(1, Math.ceil((state.rate / 60_000) * state.latencyMs))
