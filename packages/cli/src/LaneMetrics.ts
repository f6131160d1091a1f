/**
 * Each lane's current rate and 429 count for the progress display, from the run's rate controller
 * (`RateController.snapshot`: the lanes the provider paces its requests with). OpenTelemetry exports the
 * same numbers from the controller's metrics (`asrflow_lane_requests_per_minute`,
 * `asrflow_lane_throttled_total`).
 *
 * @since 0.2.0
 */
import type { RateController } from "@asrflow/core/RateController"
import { Effect } from "effect"
import type { LaneView } from "./ProgressState.js"

/**
 * Every lane the controller has paced so far, by name.
 *
 * @since 0.2.0
 * @category constructors
 */
export const read = (controller: RateController.Service): Effect.Effect<ReadonlyArray<LaneView>> =>
  Effect.map(
    controller.snapshot,
    (lanes) =>
      lanes
        .map((lane) => ({ lane: lane.lane, requestsPerMinute: lane.requestsPerMinute, throttled: lane.throttled }))
        .sort((a, b) => a.lane.localeCompare(b.lane))
  )
