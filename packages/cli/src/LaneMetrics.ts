/**
 * Each lane's current rate and 429 count, read from the metrics the run's rate controller keeps
 * (`asrflow_lane_requests_per_minute`, a gauge, and `asrflow_lane_throttled_total`, a counter, both
 * tagged `lane`). The progress display reads them here and OpenTelemetry exports the same metrics, so
 * neither needs a handle on the controller, and any provider whose lanes record them shows up.
 *
 * @since 0.3.0
 */
import { Effect, Metric, MetricState } from "effect"
import type { LaneView } from "./ProgressState.js"

/**
 * The metric names the rate controller records.
 *
 * @since 0.3.0
 * @category constants
 */
export const names = {
  rate: "asrflow_lane_requests_per_minute",
  throttled: "asrflow_lane_throttled_total"
} as const

/**
 * Every lane with a rate, by name.
 *
 * @since 0.3.0
 * @category constructors
 */
export const read: Effect.Effect<ReadonlyArray<LaneView>> = Effect.map(Metric.snapshot, (pairs) => {
  const lanes = new Map<string, { requestsPerMinute: number; throttled: number }>()
  const laneOf = (name: string) => {
    const found = lanes.get(name)
    if (found !== undefined) return found
    const fresh = { requestsPerMinute: 0, throttled: 0 }
    lanes.set(name, fresh)
    return fresh
  }
  for (const pair of pairs) {
    const { name, tags } = pair.metricKey
    if (name !== names.rate && name !== names.throttled) continue
    const lane = tags.find((tag) => tag.key === "lane")?.value
    if (lane === undefined) continue
    const state = pair.metricState
    if (name === names.rate && MetricState.isGaugeState(state)) laneOf(lane).requestsPerMinute = Number(state.value)
    if (name === names.throttled && MetricState.isCounterState(state)) laneOf(lane).throttled = Number(state.count)
  }
  return [...lanes].map(([lane, numbers]) => ({ lane, ...numbers })).sort((a, b) => a.lane.localeCompare(b.lane))
})
