/**
 * Progress on stderr while a run goes: one line when an item is written, fails or is skipped, and
 * when an async task is submitted. The same events go to the run log; stdout stays free.
 *
 * @since 0.1.0
 */
import { RunEvents } from "@asrflow/core"
import { RunLog } from "@asrflow/sinks"
import { Console, Effect, Layer, Ref } from "effect"
import * as Terminal from "./Terminal.js"

const shown = new Set<RunEvents.Phase>(["submitted", "written", "failed", "skipped"])

/**
 * The line for an event, or undefined for phases that are only logged.
 *
 * @since 0.1.0
 * @category utils
 */
export const line = (event: RunEvents.RunEvent, counts: { readonly done: number; readonly failed: number }) => {
  if (!shown.has(event.phase)) return undefined
  const tally = `[${counts.done} done${counts.failed > 0 ? `, ${counts.failed} failed` : ""}]`
  switch (event.phase) {
    case "submitted":
      return `asrflow: submitted ${event.item} as task ${String(event.data?.task_id ?? "?")}`
    case "written":
      return `asrflow: ${tally} wrote ${event.item}`
    case "failed":
      return `asrflow: ${tally} failed ${event.item}: ${String(event.data?.message ?? "")}`
    default:
      return `asrflow: ${tally} skipped ${event.item} (${String(event.data?.reason ?? "")})`
  }
}

/**
 * The run's `RunEvents`: the run log, plus a progress line on stderr.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = Layer.scoped(
  RunEvents.RunEvents,
  Effect.gen(function*() {
    const log = yield* RunLog.make
    const counts = yield* Ref.make({ done: 0, failed: 0 })
    return {
      emit: (event: RunEvents.RunEvent) =>
        log.emit(event).pipe(
          Effect.zipRight(
            Ref.updateAndGet(counts, (current) => ({
              done: current.done + (event.phase === "written" ? 1 : 0),
              failed: current.failed + (event.phase === "failed" ? 1 : 0)
            }))
          ),
          Effect.flatMap((current) => {
            const text = line(event, current)
            return text === undefined ? Effect.void : Console.error(Terminal.safe(text))
          })
        )
    }
  })
)
