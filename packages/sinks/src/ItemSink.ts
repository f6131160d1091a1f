/**
 * The body of every sink that writes one file per item (text, json, srt, vtt, evidence, and yours):
 * resolve the item's safe path under the output root, render, redact, write atomically, log. A new
 * sink of this kind only says how to render a result (see docs/ARCHITECTURE.md, "How to add a sink").
 *
 * @since 0.2.0
 */
import { Redactor } from "@asrflow/core/Redact"
import { RunContext } from "@asrflow/core/RunContext"
import { type Sink, SinkError } from "@asrflow/core/Sink"
import type { TranscriptResult } from "@asrflow/core/Transcript"
import { FileSystem, Path } from "@effect/platform"
import { Effect, Either, LogLevel, Option } from "effect"
import type { Scope } from "effect"
import { writeWith } from "./AtomicFile.js"
import * as OutputLayout from "./OutputLayout.js"

/**
 * What a per-item sink needs to say.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The sink's type, used in errors and as the log component `sink.<name>`. */
  readonly name: string
  /** The directory under the output root (or absolute). */
  readonly dir: string
  /** The file extension, with its dot. */
  readonly ext: string
  /**
   * The file content for a result, or none to write nothing. It receives the run's redactor; the content
   * must already be redacted.
   */
  readonly render: (
    result: TranscriptResult,
    redactor: Redactor.Service
  ) => Effect.Effect<Option.Option<string>, SinkError>
  /** Whether this sink writes anything for a result (for `outputsFor`). */
  readonly writes: (result: TranscriptResult) => boolean
}

/**
 * The same error with its path and description redacted, for messages that reach users and logs.
 *
 * @since 0.2.0
 * @category utils
 */
export const redactError = (redactor: Redactor.Service, error: SinkError): SinkError =>
  new SinkError({
    sink: error.sink,
    reason: error.reason,
    path: error.path === undefined ? undefined : redactor.string(error.path),
    description: error.description === undefined ? undefined : redactor.string(error.description),
    cause: error.cause
  })

/**
 * Builds the per-item sink service.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<Sink.Service, never, FileSystem.FileSystem | Path.Path | RunContext | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const run = yield* RunContext
    const redactor = yield* Redactor
    const counts = { written: 0, skipped: 0, failed: 0 }
    // the directories this sink made: not made again for every item
    const madeDirs = new Set<string>()
    // what a write needs, given directly: a provide costs the runtime several steps for every item
    const services = { fs, path, runId: run.runId }
    const component = `sink.${options.name}`
    yield* Effect.addFinalizer(() =>
      Effect.logDebug("sink closed").pipe(
        Effect.annotateLogs({ component, ...counts })
      )
    )

    const target = (result: TranscriptResult): Either.Either<string, SinkError> =>
      OutputLayout.resolveKey({
        path,
        sink: options.name,
        outputRoot: run.outputRoot,
        dir: options.dir,
        key: result.item.outputKey,
        ext: options.ext
      })

    const write = (result: TranscriptResult): Effect.Effect<void, SinkError> =>
      Effect.gen(function*() {
        const content = yield* options.render(result, redactor)
        if (Option.isNone(content)) {
          counts.skipped += 1
          return
        }
        const file = yield* target(result)
        yield* writeWith(services, options.name, file, content.value, madeDirs)
        counts.written += 1
        yield* Effect.whenLogLevel(
          Effect.logDebug(`wrote ${file}`).pipe(Effect.annotateLogs({ component, item: result.item.id })),
          LogLevel.Debug
        )
      }).pipe(
        // annotated where it logs: nothing else in a write does, and annotating costs steps for every item
        Effect.tapError((error) => {
          counts.failed += 1
          return Effect.logWarning(redactor.string(error.message)).pipe(
            Effect.annotateLogs({ component, item: result.item.id })
          )
        }),
        Effect.mapError((error) => redactError(redactor, error))
      )

    const outputsFor = (result: TranscriptResult): ReadonlyArray<string> =>
      options.writes(result)
        ? Either.match(target(result), {
          onLeft: () => [],
          onRight: (file) => [OutputLayout.relativeToRoot(path, run.outputRoot, file)]
        })
        : []

    return { name: options.name, write, outputsFor }
  })
