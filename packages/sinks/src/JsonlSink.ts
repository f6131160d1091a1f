/**
 * The `jsonl` sink: one file, one line per item, failed items included with their reason and message,
 * so a batch can be post-processed or re-run (`jq 'select(.status == "FAILED") | .audio'`).
 *
 * How the file stays whole:
 * - During the run, lines are appended (each with one write) to a hidden partial file next to the
 *   target, `.<name>.<run id>.<random>.partial`. The target itself is not touched.
 * - When the sink closes, the previous target, any partial left by a crashed run, and this run's lines
 *   are merged, one line per output key (the newest wins), and the result replaces the target with an
 *   atomic rename. So a reader never sees a half-written file, a resumed run (whose finished items are
 *   skipped) keeps the lines of the earlier runs, and a crash loses nothing: the next run picks the
 *   partial up. A run that appended nothing, with no partial to take in, leaves the file as it was.
 * - Two runs writing the same output root at the same time are not supported.
 *
 * @since 0.1.0
 */
import type { SinkComponent } from "@asrflow/core/Component"
import { Redactor } from "@asrflow/core/Redact"
import { RunContext } from "@asrflow/core/RunContext"
import { SinkError } from "@asrflow/core/Sink"
import type { Failed, TranscriptResult } from "@asrflow/core/Transcript"
import { FileSystem, Path } from "@effect/platform"
import { Effect, Schema } from "effect"
import { randomBytes } from "node:crypto"
import { describe } from "./AtomicFile.js"
import * as GroupAppend from "./internal/groupAppend.js"
import { redactError } from "./ItemSink.js"
import * as JsonlMerge from "./JsonlMerge.js"
import * as JsonSink from "./JsonSink.js"
import * as OutputLayout from "./OutputLayout.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export class Config extends Schema.Class<Config>("JsonlSinkConfig")({
  type: Schema.Literal("jsonl"),
  path: Schema.optionalWith(Schema.NonEmptyString, { default: () => "transcripts.jsonl" }).annotations({
    description: "The output file, relative to the output root unless absolute; parent directories are created.",
    examples: ["transcripts.jsonl", "/data/batch-42.jsonl"]
  })
}, {
  description:
    "Writes one JSON object per line for every result, failed ones included. Lines of earlier runs are kept (one per output key, newest wins); the file is replaced atomically when the run ends."
}) {}

/**
 * The line of a failed item.
 *
 * @since 0.1.0
 * @category utils
 */
export const failure = (result: Failed): Record<string, unknown> => ({
  status: "FAILED",
  audio: result.item.source,
  output_key: result.item.outputKey,
  phase: result.phase,
  reason: result.reason,
  message: result.message,
  ...(result.requestId === undefined ? {} : { request_id: result.requestId }),
  ...(result.taskId === undefined ? {} : { task_id: result.taskId }),
  ...(result.item.metadata === undefined ? {} : { metadata: result.item.metadata })
})

/**
 * The line object of any result: the normalized response, or the failure.
 *
 * @since 0.1.0
 * @category utils
 */
export const line = (result: TranscriptResult): Record<string, unknown> =>
  result._tag === "Transcribed" ? JsonSink.normalize(result) : failure(result)

/**
 * Merges line sets, oldest first: one line per output key, the newest wins and takes the newest place.
 *
 * @since 0.1.0
 * @category utils
 */
export const merge = (...generations: ReadonlyArray<ReadonlyArray<string>>): Array<string> => {
  const byKey = new Map<string, string>()
  let index = 0
  for (const lines of generations) {
    for (const entry of lines) {
      const key = JsonlMerge.keyOf(entry, index++)
      byKey.delete(key)
      byKey.set(key, entry)
    }
  }
  return [...byKey.values()]
}

/**
 * @since 0.1.0
 * @category components
 */
export const component: SinkComponent<Config, FileSystem.FileSystem | Path.Path | RunContext> = {
  kind: "sink",
  type: "jsonl",
  description: "One JSON line per result, failed results included, in a single file.",
  config: Config,
  make: (config) =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const run = yield* RunContext
      const redactor = yield* Redactor
      const target = path.resolve(run.outputRoot, config.path)
      const dir = path.dirname(target)
      const name = path.basename(target)
      const fail = (reason: SinkError["reason"], description: string, cause?: unknown) =>
        redactError(redactor, new SinkError({ sink: "jsonl", reason, path: target, description, cause }))

      yield* fs.makeDirectory(dir, { recursive: true }).pipe(
        Effect.mapError((cause) => fail("Open", `cannot create the directory ${dir}: ${describe(cause)}`, cause))
      )
      const runTag = (OutputLayout.normalizeKey(run.runId)?.replace(/\//g, "_") ?? "run").slice(0, 64)
      const partial = path.join(dir, `.${name}.${runTag}.${randomBytes(4).toString("hex")}.partial`)
      const handle = yield* fs.open(partial, { flag: "a" }).pipe(
        Effect.mapError((cause) => fail("Open", `cannot open ${partial}: ${describe(cause)}`, cause))
      )
      const append = GroupAppend.make((bytes) => handle.writeAll(bytes))
      const counts = { written: 0, failed: 0 }

      const finish = Effect.gen(function*() {
        const leftovers = (yield* fs.readDirectory(dir)).filter((entry) =>
          entry.startsWith(`.${name}.`) && entry.endsWith(".partial") && path.join(dir, entry) !== partial
        )
        const previous = yield* fs.exists(target)
        // nothing to take in (a resumed run whose items were all done): the file stays as it is, not rewritten
        if (counts.written === 0 && counts.failed === 0 && leftovers.length === 0 && previous) {
          return yield* fs.remove(partial)
        }
        // streamed, oldest first: the previous file, partials of crashed runs, this run's lines
        yield* JsonlMerge.mergeInto(target, [
          ...(previous ? [{ file: target, keepUnterminated: true }] : []),
          ...leftovers.map((entry) => ({ file: path.join(dir, entry), keepUnterminated: false })),
          { file: partial, keepUnterminated: false }
        ])
        yield* fs.remove(partial)
        for (const entry of leftovers) yield* fs.remove(path.join(dir, entry)).pipe(Effect.ignore)
        yield* Effect.logDebug(`wrote ${target}`).pipe(Effect.annotateLogs(counts))
      }).pipe(
        Effect.mapError((error) =>
          fail(
            "Write",
            `could not finish the file; its lines are kept in ${partial} and the next run merges them (${
              describe(error)
            })`,
            error
          )
        ),
        Effect.provideService(FileSystem.FileSystem, fs),
        Effect.provideService(Path.Path, path),
        Effect.annotateLogs({ component: "sink.jsonl" })
      )
      // the runner flushes at the end of a run; an interrupted run merges when its scope closes
      const flush = yield* Effect.cached(finish)
      yield* Effect.addFinalizer(() =>
        flush.pipe(Effect.catchAll((error) => Effect.logError(redactor.string(error.message))))
      )

      // annotated here only: nothing else in a write logs, and annotating costs a step per item
      const reportFailure = (result: TranscriptResult, error: SinkError) => {
        counts.failed += 1
        return Effect.zipRight(
          Effect.logWarning(error.message).pipe(Effect.annotateLogs({ component: "sink.jsonl", item: result.item.id })),
          Effect.fail(error)
        )
      }
      // the line is encoded in plain code and the append's outcome taken in one step: a write per item
      const write = (result: TranscriptResult): Effect.Effect<void, SinkError> =>
        Effect.suspend(() => {
          let text: string
          try {
            text = `${JSON.stringify(redactor.value(line(result)))}\n`
          } catch (cause) {
            return reportFailure(result, fail("Encode", String(cause), cause))
          }
          return Effect.matchEffect(append(text), {
            onFailure: (cause) => reportFailure(result, fail("Write", describe(cause), cause)),
            onSuccess: () => {
              counts.written += 1
              return Effect.void
            }
          })
        })

      const relative = OutputLayout.relativeToRoot(path, run.outputRoot, target)
      return { name: "jsonl", write, flush, outputsFor: () => [relative] }
    })
}
