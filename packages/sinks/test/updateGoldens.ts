/**
 * Rewrites the sink goldens from the current sinks (`npm run golden:update`). The tests only ever compare
 * against the goldens; after an intended output change, run this and review `git diff test/golden` before
 * committing it.
 */
import { FileSystem } from "@effect/platform"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Logger, LogLevel, Option } from "effect"
import * as Goldens from "./utils/goldens.js"

const update = (golden: Goldens.Golden) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const file = `${Goldens.directory}${golden.file}`
    const text = yield* Goldens.render(golden)
    const before = yield* Effect.option(fs.readFileString(file))
    if (Option.getOrUndefined(before) === text) return false
    yield* fs.writeFileString(file, text)
    yield* Console.log(`  ${Option.isNone(before) ? "created" : "updated"} ${golden.file}`)
    return true
  })

Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  yield* fs.makeDirectory(Goldens.directory, { recursive: true })
  const changed = yield* Effect.forEach(Goldens.all, update)
  const count = changed.filter(Boolean).length
  yield* Console.log(`sinks: ${count} of ${changed.length} golden file(s) changed`)
}).pipe(
  // the sinks' warnings (e.g. untimed subtitles) belong to the tests, not to this report
  Logger.withMinimumLogLevel(LogLevel.Error),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain
)
