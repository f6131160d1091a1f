/**
 * The commands that talk to a provider directly: `asrflow doctor` and `asrflow cancel`.
 *
 * @since 0.2.0
 */
import { Ledger } from "@asrflow/core"
import { FileSystem, Path } from "@effect/platform"
import { Console, Effect, Either, Option } from "effect"
import { CliExit } from "./CliExit.js"
import { CliRegistries } from "./CliRegistries.js"
import { exitOnCredentials, providerFor, withEmulator } from "./CommandSupport.js"
import type * as Registries from "./Registries.js"
import * as RunLayer from "./RunLayer.js"

/**
 * `asrflow doctor`: resolves the provider's key (saying where it came from, never what it is) and makes
 * the provider's one read-only call.
 *
 * @since 0.1.0
 * @category commands
 */
export const doctor = (options: {
  readonly provider: Option.Option<string>
  readonly region: Option.Option<string>
  readonly emulator: boolean
}) =>
  Effect.flatMap(
    // the flags are checked before the emulator starts
    providerFor({
      audio: "",
      provider: Option.getOrUndefined(options.provider),
      region: Option.getOrUndefined(options.region)
    }),
    ({ component, config }) =>
      withEmulator(
        options.emulator,
        Effect.gen(function*() {
          const credentials = yield* Effect.either(component.credentials.resolve())
          if (Either.isLeft(credentials)) {
            yield* Console.error(
              `key: not found\ncheck: ${credentials.left.reason.toLowerCase()} - ${credentials.left.message}`
            )
            return yield* new CliExit({ code: 3 })
          }
          const report = yield* component.doctor(config, credentials.right)
          const lines = [
            `key: found in ${credentials.right.source}`,
            ...report.facts.map(([label, value]) => `${label}: ${value}`),
            `check: ${report.ok ? "ok" : "failed"} - ${report.message}`
          ]
          yield* (report.ok ? Console.log(lines.join("\n")) : Console.error(lines.join("\n")))
          if (!report.ok) return yield* new CliExit({ code: report.exitCode })
        })
      )
  )

/**
 * `asrflow cancel <output root>`: cancels the queued remote jobs of an unfinished run, provider by
 * provider (each that can cancel).
 *
 * @since 0.1.0
 * @category commands
 */
export const cancel = (options: {
  readonly outputRoot: string
  readonly region: Option.Option<string>
  readonly emulator: boolean
}) =>
  withEmulator(
    options.emulator,
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const registries = yield* CliRegistries
      const file = RunLayer.ledgerFile(path, path.resolve(options.outputRoot))
      if (!(yield* fs.exists(file))) {
        return yield* new CliExit({
          code: 2,
          message: `asrflow: no ledger at ${file}: give the output root of a run (e.g. output/aliyun-qwen-asr)`
        })
      }
      const ledger = RunLayer.ledgerLayer(file, registries)
      const open = yield* Effect.flatMap(Ledger.Ledger, (ledger) => ledger.openJobs()).pipe(Effect.provide(ledger))
      const providers = [...new Set(open.map((job) => job.provider))]
      let cancelled = 0
      let kept = 0
      for (const type of providers) {
        const component = registries.providers.get(type) as Registries.Provider | undefined
        if (component?.cancel === undefined) {
          yield* Console.error(
            `asrflow: ${type}: ${
              component === undefined ? "not a registered provider" : "cannot cancel"
            }; its jobs are left as they are`
          )
          continue
        }
        const { config } = yield* providerFor({
          audio: "",
          provider: type,
          region: Option.getOrUndefined(options.region)
        })
        const credentials = yield* component.credentials.resolve().pipe(
          Effect.catchTag("CredentialsError", exitOnCredentials)
        )
        const outcome = yield* component.cancel(config, credentials).pipe(Effect.provide(ledger))
        for (const remoteId of outcome.cancelled) yield* Console.log(`cancelled  ${remoteId}`)
        for (const entry of outcome.kept) {
          yield* Console.log(`kept       ${entry.remoteId || "(no task id)"}  ${entry.itemId}  ${entry.status}`)
        }
        cancelled += outcome.cancelled.length
        kept += outcome.kept.length
      }
      yield* Console.error(`asrflow: cancelled ${cancelled} pending task(s); ${kept} left as they are`)
    })
  )
