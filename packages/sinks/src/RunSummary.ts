/**
 * The run summary, `runs/<run id>.summary.json`, written atomically and redacted.
 *
 * @since 0.1.0
 */
import { Redactor } from "@asrflow/core/Redact"
import { RunContext } from "@asrflow/core/RunContext"
import { SinkError } from "@asrflow/core/Sink"
import type { FileSystem } from "@effect/platform"
import { Path } from "@effect/platform"
import { Effect } from "effect"
import { writeFileAtomic } from "./AtomicFile.js"
import { redactError } from "./ItemSink.js"
import * as OutputLayout from "./OutputLayout.js"

/**
 * Writes the summary of the current run (any JSON-serializable value, e.g. core's `Summary`) and
 * returns the file's absolute path.
 *
 * @since 0.1.0
 * @category constructors
 */
export const write = (
  summary: unknown
): Effect.Effect<string, SinkError, FileSystem.FileSystem | Path.Path | RunContext> =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const run = yield* RunContext
    const redactor = yield* Redactor
    const file = yield* OutputLayout.resolveKey({
      path,
      sink: "summary",
      outputRoot: run.outputRoot,
      dir: OutputLayout.dirs.runs,
      key: run.runId,
      ext: ".summary.json"
    })
    const text = yield* Effect.try({
      try: () => `${JSON.stringify(redactor.value(summary), null, 2)}\n`,
      catch: (cause) =>
        new SinkError({ sink: "summary", reason: "Encode", path: file, description: String(cause), cause })
    })
    yield* writeFileAtomic("summary", file, text).pipe(Effect.mapError((error) => redactError(redactor, error)))
    return file
  })
