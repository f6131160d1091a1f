/**
 * `asrflow validate`: checks what `run` would read, without any network call. The file and its
 * schema, the output root, and every source: manifests that exist and parse, rows that decode, local
 * files that exist (their contents are the run's probe's to judge). Each rejected row is listed with its file and line; a source that matches nothing
 * is a warning. Exit code 1 when anything was rejected or nothing matched at all, unless
 * `--allow-rejected` (then the rejected rows are warnings and the exit code is 0).
 *
 * @since 0.2.0
 */
import { OutputCheck, OutputRoot, Pipeline, RunContext } from "@asrflow/core"
import type { AudioItem } from "@asrflow/core"
import { AtomicFile } from "@asrflow/sinks"
import { FileSystem, Path } from "@effect/platform"
import { Clock, Console, Effect, Either, Option, Stream } from "effect"
import { CliExit } from "./CliExit.js"
import { CliRegistries } from "./CliRegistries.js"
import { loadPipeline } from "./CommandSupport.js"
import * as Registries from "./Registries.js"
import * as Terminal from "./Terminal.js"

/** Where an item came from, for a message: `inputs.csv:7` for a manifest row, else its path. */
const locationOf = (item: AudioItem.AudioItem): string => {
  const row = /^manifest (.+:\d+)$/.exec(item.origin)
  return row === null ? item.source : row[1]!
}

/**
 * Whether local files exist, by listing each directory once: ten thousand rows in one folder cost one
 * listing, not ten thousand `stat`s. What a file holds is the run's probe's business. Rows are checked
 * a chunk at a time, and only a directory not seen yet costs an effect.
 */
const existence = (fs: FileSystem.FileSystem, path: Path.Path) => {
  const listings = new Map<string, ReadonlySet<string>>()
  const listing = (directory: string) =>
    Effect.suspend(() => {
      const known = listings.get(directory)
      if (known !== undefined) return Effect.succeed(known)
      return fs.readDirectory(directory).pipe(
        Effect.map((names): ReadonlySet<string> => new Set(names)),
        Effect.orElseSucceed((): ReadonlySet<string> => new Set()),
        Effect.tap((names) => Effect.sync(() => listings.set(directory, names)))
      )
    })
  return (item: AudioItem.AudioItem): string | undefined | Effect.Effect<string | undefined> => {
    if (item.kind !== "file") return undefined
    const directory = path.dirname(item.source)
    const problem = (names: ReadonlySet<string>) =>
      names.has(path.basename(item.source)) ? undefined : `${item.source} does not exist`
    const known = listings.get(directory)
    return known !== undefined ? problem(known) : Effect.map(listing(directory), problem)
  }
}

/**
 * @since 0.2.0
 * @category commands
 */
export const validate = (options: {
  readonly pipeline: string
  readonly outputDir: Option.Option<string>
  readonly allowRejected: boolean
}) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const registries = yield* CliRegistries
    const loaded = yield* loadPipeline(options.pipeline)
    const { config } = loaded
    const provider = yield* Registries.provider(registries, config.provider.type)
    const outputRoot = yield* OutputRoot.resolve({
      flag: Option.getOrUndefined(options.outputDir),
      pipeline: config.output_dir,
      providerFolder: provider.outputFolder
    })
    yield* OutputCheck.prepare(outputRoot)
    const warnings = provider.check(config.provider).map((warning) => `warning: ${warning}`)
    const checkedAt = new Date(yield* Clock.currentTimeMillis)
    const context = RunContext.RunContext.of({
      baseDir: loaded.baseDir,
      outputRoot,
      runId: "validate",
      startedAt: checkedAt
    })
    const fileProblem = existence(fs, path)
    const sources = yield* Effect.forEach(config.sources, (source, index) =>
      Effect.gen(function*() {
        // streamed: only the count and the rejected rows are kept
        let listed = 0
        const rejected: Array<string> = []
        yield* Stream.runForEachChunk(
          Pipeline.entries({ ...config, sources: [source] }, registries),
          (chunk) =>
            Effect.gen(function*() {
              for (const entry of chunk) {
                listed++
                if (Either.isLeft(entry)) {
                  rejected.push(entry.left.message)
                  continue
                }
                const found = fileProblem(entry.right)
                const problem = Effect.isEffect(found) ? yield* found : found
                if (problem !== undefined) rejected.push(`${locationOf(entry.right)}: ${problem}`)
              }
            })
        )
        return { index, source, items: listed - rejected.length, rejected }
      }).pipe(Effect.provideService(RunContext.RunContext, context)))
    const rejected = sources.flatMap((source) => source.rejected)
    const empty = sources.filter((source) => source.items === 0 && source.rejected.length === 0)
    const nothing = sources.every((source) => source.items === 0)
    const problems = (options.allowRejected ? 0 : rejected.length) + (nothing ? 1 : 0)
    const lines = [
      problems === 0 ? "asrflow validate: OK" : `asrflow validate: ${problems} problem(s)`,
      `file: ${options.pipeline}`,
      `checked at: ${checkedAt.toISOString()}`,
      `schema: valid (version ${config.version}, ${config.sources.length} source(s), provider ${config.provider.type}, sinks ${
        config.sinks.map((sink) => sink.type).join(", ")
      })`,
      `output root: ${outputRoot}`,
      ...sources.flatMap(({ index, items, rejected, source }) => [
        `source ${index} (${source.type}): ${items} item(s)${
          rejected.length > 0 ? `, ${rejected.length} rejected` : ""
        }`,
        ...rejected.map((message) => `  ${options.allowRejected ? "warning: rejected" : "rejected"}: ${message}`)
      ]),
      ...empty.map(({ index, source }) => `warning: ${Pipeline.emptySource(index, source)}`),
      ...(nothing ? [`error: ${Pipeline.nothingMatched}`] : []),
      ...warnings,
      `network: not used`
    ].map(Terminal.safe)
    yield* AtomicFile.writeFileAtomic("validate", path.join(outputRoot, "validate.txt"), lines.join("\n") + "\n")
    yield* Console.log(lines.join("\n"))
    if (problems > 0) {
      const parts = [
        ...(options.allowRejected || rejected.length === 0
          ? []
          : [`${rejected.length} row(s) or file(s) rejected (fix them, or pass --allow-rejected to accept)`]),
        ...(nothing ? ["no source matched any recording"] : [])
      ]
      return yield* new CliExit({ code: 1, message: `asrflow: ${parts.join("; ")}` })
    }
  })
