/**
 * Facts about the current run that sources and sinks need: where relative paths start, where
 * outputs go, and the run's id.
 *
 * @since 0.1.0
 */
import { Context } from "effect"

/**
 * @since 0.1.0
 * @category context
 */
export class RunContext extends Context.Tag("@asrflow/core/RunContext")<RunContext, {
  /** The directory relative source paths resolve against (the pipeline file's directory). */
  readonly baseDir: string
  /** The output root, e.g. `output/<the provider's folder>`. */
  readonly outputRoot: string
  readonly runId: string
  readonly startedAt: Date
}>() {}
