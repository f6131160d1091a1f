/**
 * Helpers shared by the sink tests: a run context in a temp dir, running a sink over results, goldens.
 */
import type { SinkComponent } from "@asrflow/core/Component"
import { RunContext } from "@asrflow/core/RunContext"
import type { SinkError } from "@asrflow/core/Sink"
import type { TranscriptResult } from "@asrflow/core/Transcript"
import { FileSystem, Path } from "@effect/platform"
import { assert } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import type { Scope } from "effect"

export const runId = "2026-01-01T00-00-00Z-test"

/** A RunContext whose output root is `<dir>/output/aliyun-qwen-asr`. */
export const runContext = (dir: string) =>
  Layer.succeed(RunContext, {
    baseDir: dir,
    outputRoot: `${dir}/output/aliyun-qwen-asr`,
    runId,
    startedAt: new Date(0)
  })

/** A temp dir for this test, and the output root in it. */
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

/** Fails the test when any write failed. */
export const assertAllRight = (outcomes: ReadonlyArray<Either.Either<void, SinkError>>) => {
  for (const outcome of outcomes) {
    if (Either.isLeft(outcome)) assert.fail(outcome.left.message)
  }
}

const goldenDir = new URL("./golden/", import.meta.url).pathname

/**
 * Compares text with `test/golden/<name>`. With ASRFLOW_UPDATE_GOLDEN=1 the golden is (re)written
 * instead; review the diff before committing it.
 */
export const assertGolden = (name: string, actual: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.join(goldenDir, name)
    if (process.env.ASRFLOW_UPDATE_GOLDEN === "1") {
      yield* fs.makeDirectory(goldenDir, { recursive: true })
      yield* fs.writeFileString(file, actual)
      return
    }
    const expected = yield* fs.readFileString(file).pipe(
      Effect.orElseSucceed(() => `<missing golden ${name}; run with ASRFLOW_UPDATE_GOLDEN=1>`)
    )
    assert.strictEqual(actual, expected, `golden ${name}`)
  })
