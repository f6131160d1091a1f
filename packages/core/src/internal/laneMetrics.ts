/**
 * The metrics a lane records (exported only while telemetry is on), each tagged with the lane once.
 *
 * @internal
 */
import type { Duration, MetricKeyType, MetricState } from "effect"
import { Metric } from "effect"
import type * as LaneState from "../LaneState.js"

const rateGauge = Metric.gauge("asrflow_lane_requests_per_minute", {
  description: "The request rate a lane paces at"
})
const throttledCounter = Metric.counter("asrflow_lane_throttled_total", {
  description: "Requests answered with a throttling 429",
  incremental: true
})
const requestsCounter = Metric.counter("asrflow_lane_requests_total", {
  description: "Requests a lane started, by outcome (Ok, Throttled, Other)",
  incremental: true
})
const latencyTimer = Metric.timerWithBoundaries(
  "asrflow_lane_request_duration",
  [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000],
  "How long a lane's requests took, from their start to their answer (ms)"
)

export interface LaneMetrics {
  readonly gauge: Metric.Metric.Gauge<number>
  readonly throttled: Metric.Metric.Counter<number>
  readonly requestsBy: Record<LaneState.Outcome["_tag"], Metric.Metric.Counter<number>>
  readonly latency: Metric.Metric<
    MetricKeyType.MetricKeyType.Histogram,
    Duration.Duration,
    MetricState.MetricState.Histogram
  >
}

/** The metrics of the lane named `lane`; the request counter once per outcome, not a new one per request. */
export const forLane = (lane: string): LaneMetrics => {
  const requests = requestsCounter.pipe(Metric.tagged("lane", lane))
  const requestsBy: LaneMetrics["requestsBy"] = {
    Ok: Metric.tagged(requests, "outcome", "Ok"),
    Throttled: Metric.tagged(requests, "outcome", "Throttled"),
    Other: Metric.tagged(requests, "outcome", "Other")
  }
  return {
    gauge: rateGauge.pipe(Metric.tagged("lane", lane)),
    throttled: throttledCounter.pipe(Metric.tagged("lane", lane)),
    requestsBy,
    latency: latencyTimer.pipe(Metric.tagged("lane", lane))
  }
}
