/**
 * Helpers to run a source component and summarise its entries.
 */
import { Chunk, Effect, Either, Stream } from "effect"
import type { SourceEntry } from "../../src/AudioSource.js"
import { RunContext } from "../../src/RunContext.js"

export const runContext = (baseDir: string) =>
  RunContext.of({ baseDir, outputRoot: `${baseDir}/output`, runId: "test", startedAt: new Date(0) })

export const collect = <R>(entries: Stream.Stream<SourceEntry, never, R>, baseDir: string) =>
  Stream.runCollect(entries).pipe(
    Effect.map(Chunk.toReadonlyArray),
    Effect.provideService(RunContext, runContext(baseDir))
  )

/** `key <- source` for items (source relative to baseDir), `! Reason location: description` for errors. */
export const summarize = (entries: ReadonlyArray<SourceEntry>, baseDir: string): Array<string> =>
  entries.map((entry) =>
    Either.match(entry, {
      onLeft: (error) => `! ${error.reason} ${error.location}: ${error.description}`,
      onRight: (item) =>
        `${item.outputKey} <- ${
          item.source.startsWith(`${baseDir}/`) ? item.source.slice(baseDir.length + 1) : item.source
        }`
    })
  )
