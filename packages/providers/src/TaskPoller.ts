/**
 * Polling async DashScope tasks: one task-query budget shared by the whole run (at most 20 queries per
 * second by default, whatever the number of tasks in flight) and one backoff `Schedule` per task
 * (`poll.initial_interval_ms`, growing ×1.5 up to `poll.max_interval_ms`), bounded by `poll.timeout_secs`.
 *
 * The budget is the account's task-query lane (`DashScopeLanes`: query starts paced 1 s / QPS apart plus a 10 %
 * margin for network jitter), so a window of one second never sees more than the budget even when 200 tasks
 * poll at once. Everything runs on `Clock`, so tests drive it with the `TestClock`.
 *
 * @since 0.1.0
 */
import type { PollPolicy } from "@asrflow/core/Policies"
import type { Lane } from "@asrflow/core/RateController"
import type { RetryPolicy } from "@asrflow/core/RetryPolicy"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import { Context, Duration, Effect, Schedule } from "effect"
import * as DashScopeClient from "./DashScopeClient.js"
import * as DashScopeLanes from "./DashScopeLanes.js"
import type { WireResponse } from "./HttpTransport.js"
import type * as Wire from "./internal/schemas.js"

// =============================================================================
// Models
// =============================================================================

/**
 * A task query answer: the decoded body, the untouched body and the request id.
 *
 * @since 0.1.0
 * @category models
 */
export type TaskAnswer = WireResponse<Wire.TaskResponse>

/**
 * @since 0.1.0
 * @category context
 */
export class TaskPoller extends Context.Tag("@asrflow/providers/TaskPoller")<TaskPoller, TaskPoller.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace TaskPoller {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** One task query, paced by the shared budget; transient failures (429, 5xx, transport) are retried. */
    readonly query: (taskId: string, input?: string) => Effect.Effect<TaskAnswer, TranscriptionError>
    /**
     * Polls a task until it leaves PENDING/RUNNING/SUSPENDED and returns the last answer, whatever its
     * status. The first query waits one interval (a task just submitted is not done yet) unless
     * `immediate` (a task submitted earlier may be). Fails with a `Timeout` error naming the task id
     * after `poll.timeout_secs`.
     */
    readonly await: (
      taskId: string,
      options: {
        readonly poll: PollPolicy
        readonly input?: string | undefined
        readonly immediate?: boolean | undefined
        readonly onPoll?: ((answer: TaskAnswer) => Effect.Effect<void>) | undefined
      }
    ) => Effect.Effect<TaskAnswer, TranscriptionError>
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly retry: RetryPolicy
  /** The task-query lane; by default the client's account lane in the run's controller. */
  readonly lane?: Effect.Effect<Lane> | undefined
}

// =============================================================================
// Schedule
// =============================================================================

/** Whether a task status means "not finished yet". */
const isPending = (status: Wire.TaskStatus): boolean =>
  status === "PENDING" || status === "RUNNING" || status === "SUSPENDED"

/**
 * The waits between two queries of one task: `initial_interval_ms`, then ×1.5 each time, capped at
 * `max_interval_ms` (5 s, 7.5 s, 11.25 s, 16.9 s, 20 s, 20 s, … with the defaults).
 */
const schedule = (poll: PollPolicy): Schedule.Schedule<Duration.Duration> =>
  Schedule.exponential(Duration.millis(poll.initial_interval_ms), 1.5).pipe(
    // union keeps the shorter of the two delays, which caps the exponential
    Schedule.union(Schedule.spaced(Duration.millis(poll.max_interval_ms))),
    Schedule.map(([delay]) => delay)
  )

/** Adds a task id to an error that lacks one, so the user can resume or look the task up. */
const withTaskId = (error: TranscriptionError, taskId: string): TranscriptionError =>
  error.taskId !== undefined ? error : new TranscriptionError({ ...error, taskId })

// =============================================================================
// Constructors
// =============================================================================

/**
 * A poller with a fresh budget; build it once per run so every task shares it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(options: Options) {
  const client = yield* DashScopeClient.DashScopeClient
  const lane = yield* (options.lane ?? Effect.flatMap(
    DashScopeLanes.make(client, "auto", () => DashScopeLanes.policyPerMinute),
    (lanes) => lanes.query
  ))

  const query = (taskId: string, input?: string) =>
    lane.paced(client.getTask(taskId, { input: input ?? taskId })).pipe(
      DashScopeClient.withRetry(options.retry),
      Effect.mapError((error) => withTaskId(error, taskId))
    )

  const awaitTask: TaskPoller.Service["await"] = (taskId, { immediate, input, onPoll, poll }) => {
    const label = input ?? taskId
    const once = query(taskId, label).pipe(Effect.tap((answer) => onPoll ? onPoll(answer) : Effect.void))
    const untilDone = schedule(poll).pipe(
      Schedule.intersect(Schedule.recurWhile<TaskAnswer>((answer) => isPending(answer.value.output.task_status))),
      Schedule.map(([, answer]) => answer)
    )
    const polled = Effect.sleep(Duration.millis(poll.initial_interval_ms)).pipe(
      Effect.zipRight(Effect.repeat(once, untilDone))
    )
    const first = immediate === true
      ? Effect.flatMap(once, (answer) => isPending(answer.value.output.task_status) ? polled : Effect.succeed(answer))
      : polled
    return first.pipe(
      Effect.timeoutFail({
        duration: Duration.seconds(poll.timeout_secs),
        onTimeout: () =>
          new TranscriptionError({
            provider: client.provider,
            input: label,
            reason: "Timeout",
            taskId,
            description: `task ${taskId} did not finish within poll.timeout_secs (${poll.timeout_secs} s); ` +
              "it is still recorded in the ledger, so re-running the pipeline resumes polling it"
          })
      })
    )
  }

  return TaskPoller.of({ query, await: awaitTask })
})
