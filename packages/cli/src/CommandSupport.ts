/**
 * What the provider-facing commands share: `--emulator`, the provider a command names, and the one exit
 * for a missing or malformed key.
 *
 * @since 0.2.0
 */
import { PipelineLoader } from "@asrflow/core"
import type { Credentials } from "@asrflow/core"
import { Path } from "@effect/platform"
import { NodeStream } from "@effect/platform-node"
import { Console, Effect, Stream } from "effect"
import { stdinArgument } from "./Cli.js"
import { CliExit } from "./CliExit.js"
import { CliRegistries } from "./CliRegistries.js"
import * as FlagRules from "./FlagRules.js"
import * as KeylessMode from "./KeylessMode.js"
import * as OneShot from "./OneShot.js"

/**
 * A missing or malformed key: the provider's message, once, and exit code 3.
 *
 * @since 0.2.0
 * @category utils
 */
export const exitOnCredentials = (error: Credentials.CredentialsError) =>
  new CliExit({ code: 3, message: `asrflow: ${error.message}` })

/**
 * Runs a command with `--emulator` applied: the embedded emulator, and every registered provider that
 * it serves pointed at it.
 *
 * @since 0.2.0
 * @category utils
 */
export const withEmulator = <A, E, R>(enabled: boolean, effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(CliRegistries, (registries) => Effect.provide(effect, KeylessMode.layer(enabled, registries)))

/**
 * The provider named by `--provider` (or the default one) and its config for the request's fields.
 *
 * @since 0.2.0
 * @category utils
 */
export const providerFor = (request: OneShot.Options) =>
  Effect.flatMap(CliRegistries, (registries) =>
    OneShot.providerConfig(registries, request, FlagRules.flagOf).pipe(
      Effect.catchTag("UsageError", (error) => new CliExit({ code: 2, message: `asrflow: ${error.message}` }))
    ))

/**
 * The pipeline on stdin (`asrflow run -`): relative paths in it start at the current directory.
 */
const fromStdin = (loader: PipelineLoader.PipelineLoader, registries: CliRegistries["Type"]) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    if (process.stdin.isTTY === true) {
      return yield* new CliExit({
        code: 2,
        message: "asrflow: `run -` reads the pipeline from stdin: pipe or redirect it (asrflow run - < pipeline.yaml)"
      })
    }
    const bytes = yield* Stream.runFold(
      NodeStream.fromReadable(() => process.stdin, (cause) => cause),
      new Uint8Array(0),
      (all, chunk) => {
        const joined = new Uint8Array(all.length + chunk.length)
        joined.set(all)
        joined.set(chunk, all.length)
        return joined
      }
    ).pipe(
      Effect.mapError((cause) =>
        new CliExit({ code: 2, message: `asrflow: cannot read the pipeline from stdin: ${cause}` })
      )
    )
    const text = yield* Effect.try({
      try: () => new TextDecoder("utf-8", { fatal: true }).decode(bytes),
      catch: () =>
        new CliExit({
          code: 2,
          message: "asrflow: <stdin>: not a text file (its bytes are not UTF-8): a pipeline is YAML"
        })
    })
    const config = yield* loader.loadText(text, "<stdin>", registries)
    return { config, file: "<stdin>", baseDir: path.resolve(".") } satisfies PipelineLoader.Loaded
  })

/**
 * Loads a pipeline file (`-`: from stdin) over the CLI's registries; every problem in it is printed as
 * `file:line:col  path  message`, and the command exits 2.
 *
 * @since 0.2.0
 * @category utils
 */
export const loadPipeline = (file: string) =>
  Effect.flatMap(
    Effect.zip(PipelineLoader.PipelineLoader, CliRegistries),
    ([loader, registries]) =>
      file === "-" || file === stdinArgument ? fromStdin(loader, registries) : loader.load(file, registries)
  ).pipe(
    Effect.catchTag("PipelineConfigError", (error) =>
      error.issues.length === 1
        ? new CliExit({ code: 2, message: error.lines[0]! })
        : Console.error(error.lines.join("\n")).pipe(
          Effect.zipRight(new CliExit({ code: 2, message: `${error.issues.length} problem(s) in ${error.file}` }))
        ))
  )
