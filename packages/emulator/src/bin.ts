/**
 * `asrflow-emulator --port 0 --config emulator.json [--api-key KEY]`: prints one JSON line with the base URLs
 * and serves until SIGINT/SIGTERM. A missing or invalid config file exits with code 2.
 *
 * @since 0.1.0
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import * as Emulator from "./Emulator.js"
import * as EmulatorConfig from "./EmulatorConfig.js"

const usage = "usage: asrflow-emulator [--port 0] [--config emulator.json] [--api-key KEY]"

const die = (message: string): Effect.Effect<never> =>
  Effect.sync(() => {
    process.stderr.write(`asrflow-emulator: ${message}\n`)
    process.exit(2)
  }) as Effect.Effect<never>

const program = Effect.gen(function*() {
  const parsed = yield* Effect.try(() =>
    parseArgs({
      args: process.argv.slice(2),
      options: {
        port: { type: "string", default: "0" },
        config: { type: "string" },
        "api-key": { type: "string" },
        help: { type: "boolean", short: "h" }
      },
      strict: true
    })
  ).pipe(Effect.catchAll((error) => die(`${(error.error as Error).message}\n${usage}`)))
  if (parsed.values.help) {
    process.stdout.write(`${usage}\n`)
    return
  }
  const port = Number(parsed.values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) return yield* die(`invalid --port ${parsed.values.port}`)
  let raw: Record<string, unknown> = {}
  const configPath = parsed.values.config
  if (configPath !== undefined) {
    let text: string
    try {
      text = readFileSync(configPath, "utf8")
    } catch (error) {
      return yield* die(`cannot read config ${configPath}: ${(error as Error).message}`)
    }
    try {
      raw = JSON.parse(text)
    } catch (error) {
      return yield* die(`config ${configPath} is not valid JSON: ${(error as Error).message}`)
    }
  }
  if (parsed.values["api-key"] !== undefined) raw = { ...raw, api_key: parsed.values["api-key"] }
  const decoded = EmulatorConfig.decode(raw)
  if (!decoded.ok) return yield* die(`invalid config${configPath ? ` ${configPath}` : ""}:\n${decoded.error}`)
  const handle = yield* Emulator.make(raw as EmulatorConfig.Input, { port })
  process.stdout.write(
    JSON.stringify({
      nativeBaseUrl: handle.nativeBaseUrl,
      compatibleBaseUrl: handle.compatibleBaseUrl,
      origin: handle.origin,
      apiKey: handle.apiKey
    }) + "\n"
  )
  return yield* Effect.never
})

NodeRuntime.runMain(Effect.scoped(program), { disableErrorReporting: false })
