/**
 * Helpers shared by the sink tests: a run context in a temp dir, running a sink over results, goldens.
 */
import type { SinkError } from "@asrflow/core/Sink"
import { FileSystem } from "@effect/platform"
import { assert } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as Goldens from "./utils/goldens.js"

export { runContext, runId, runSink, tempRoot } from "./utils/sinkRun.js"

/** Fails the test when any write failed. */
export const assertAllRight = (outcomes: ReadonlyArray<Either.Either<void, SinkError>>) => {
  for (const outcome of outcomes) {
    if (Either.isLeft(outcome)) assert.fail(outcome.left.message)
  }
}

/**
 * Runs the golden's sink, compares what it wrote with `test/golden/<file>`, and returns the text for
 * further checks. Goldens are only rewritten by `npm run golden:update`, never by a test.
 */
export const assertGolden = (golden: Goldens.Golden) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const actual = yield* Goldens.render(golden)
    const expected = yield* fs.readFileString(`${Goldens.directory}${golden.file}`).pipe(
      Effect.orElseSucceed(() => `<missing golden ${golden.file}; create it with npm run golden:update>`)
    )
    assert.strictEqual(actual, expected, `golden ${golden.file}`)
    return actual
  })
