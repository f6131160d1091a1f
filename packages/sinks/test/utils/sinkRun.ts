/**
 * Running a sink in a temp dir, without the test runner, so that the golden updater can use it too.
 */
import type { SinkComponent } from "@asrflow/core/Component"
import { RunContext } from "@asrflow/core/RunContext"
import type { SinkError } from "@asrflow/core/Sink"
import type { TranscriptResult } from "@asrflow/core/Transcript"
import type { Path } from "@effect/platform"
import { FileSystem } from "@effect/platform"
import { Effect, Layer } from "effect"
import type { Either, Scope } from "effect"

export const runId = "2026-01-01T00-00-00Z-test"

/** A RunContext whose output root is `<dir>/output/aliyun-qwen-asr`. */
export const runContext = (dir: string) =>
  Layer.succeed(RunContext, {
    baseDir: dir,
    outputRoot: `${dir}/output/aliyun-qwen-asr`,
    runId,
    startedAt: new Date(0)
  })

/** A temp dir for this test (removed when its scope closes), and the output root in it. */
export const tempRoot = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "asrflow-sinks-" })
  return { dir, outputRoot: `${dir}/output/aliyun-qwen-asr` }
})

/**
 * Makes a sink (in its own scope, which is closed at the end), writes the results, and returns each
 * write's outcome.
 */
export const runSink = <C extends { readonly type: string }>(
  component: SinkComponent<C, any>,
  config: C,
  dir: string,
  results: ReadonlyArray<TranscriptResult>
): Effect.Effect<Array<Either.Either<void, SinkError>>, SinkError, FileSystem.FileSystem | Path.Path> =>
  Effect.scoped(
    Effect.gen(function*() {
      const sink = yield* component.make(config)
      return yield* Effect.forEach(results, (result) => Effect.either(sink.write(result)))
    }) as Effect.Effect<
      Array<Either.Either<void, SinkError>>,
      SinkError,
      FileSystem.FileSystem | Path.Path | Scope.Scope
    >
  ).pipe(Effect.provide(runContext(dir)))
