/**
 * A run's claim on its output root: recorded in the ledger when the run starts (run id, host, process
 * id) and closed when it ends, however it ends. At the start, the temporary files that no live run owns
 * are removed: those of runs that ended, and of runs whose process is gone (killed with SIGKILL, the
 * machine restarted). A run on another host sharing the ledger counts as live.
 *
 * @since 0.2.0
 */
import { Ledger, OutputCleanup, RunContext } from "@asrflow/core"
import type { FileSystem, Path } from "@effect/platform"
import { Effect, Layer } from "effect"
import * as os from "node:os"

/** Whether a process of this host is running (signal 0 probes without sending anything). */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else
    return (error as { readonly code?: unknown }).code === "EPERM"
  }
}

/**
 * Registers the run for the life of the layer and removes the stale temporary files.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer: Layer.Layer<
  never,
  never,
  Ledger.Ledger | RunContext.RunContext | FileSystem.FileSystem | Path.Path
> = Layer.scopedDiscard(
  Effect.gen(function*() {
    const ledger = yield* Ledger.Ledger
    const run = yield* RunContext.RunContext
    const host = os.hostname()
    yield* Effect.acquireRelease(
      ledger.beginRun({ runId: run.runId, host, pid: process.pid }),
      () => ledger.endRun(run.runId)
    )
    const live = new Set<string>([run.runId])
    for (const other of yield* ledger.openRuns) {
      if (other.runId === run.runId) continue
      // this process is not that run, whatever its id says; another host's run cannot be checked from here
      const gone = other.host === host && (other.pid === process.pid || !isRunning(other.pid))
      if (gone) yield* ledger.endRun(other.runId)
      else live.add(other.runId)
    }
    const removed = yield* OutputCleanup.removeStale(run.outputRoot, (owner) => live.has(owner))
    if (removed.length > 0) {
      yield* Effect.logInfo(
        `removed ${removed.length} half-written temporary file(s) that an interrupted run left in ${run.outputRoot}`
      )
    }
  })
)
