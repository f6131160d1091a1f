/**
 * Starting the emulator from code: a scoped Effect, a Layer, or a plain Promise for test setup.
 *
 * @since 0.1.0
 */
import { Context, Data, Effect, Layer } from "effect"
import type { Scope } from "effect"
import * as fsp from "node:fs/promises"
import type * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import * as EmulatorConfig from "./EmulatorConfig.js"
import { State } from "./internal/state.js"
import type { Report } from "./Report.js"
import * as Server from "./Server.js"

/**
 * @since 0.1.0
 * @category errors
 */
export class EmulatorConfigError extends Data.TaggedError("EmulatorConfigError")<{ readonly message: string }> {}

/**
 * A running emulator.
 *
 * @since 0.1.0
 * @category models
 */
export interface EmulatorHandle {
  /** `http://127.0.0.1:PORT/api/v1` */
  readonly nativeBaseUrl: string
  /** `http://127.0.0.1:PORT/compatible-mode/v1` */
  readonly compatibleBaseUrl: string
  /** `http://127.0.0.1:PORT` */
  readonly origin: string
  readonly apiKey: string
  /** Where uploads are stored (a temporary directory removed on close unless `storage_dir` is set). */
  readonly storageDir: string
  readonly report: Effect.Effect<Report>
  /** Clears the report, the rate-limit buckets and the fault counters (tasks and uploads stay). */
  readonly reset: Effect.Effect<void>
  /** Deep-merges a patch into the config (faults, limits, latency, drop_window, …). */
  readonly setConfig: (patch: EmulatorConfig.Input) => Effect.Effect<void, EmulatorConfigError>
  /** Moves the emulator clock forward (task timing, rate-limit refill, URL and upload expiry). */
  readonly advance: (ms: number) => Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category context
 */
export class Emulator extends Context.Tag("@asrflow/emulator/Emulator")<Emulator, EmulatorHandle>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number | undefined
}

interface Running {
  readonly handle: EmulatorHandle
  readonly close: () => Promise<void>
}

const start = async (config: EmulatorConfig.Input, options: Options): Promise<Running> => {
  const decoded = EmulatorConfig.decode(config)
  if (!decoded.ok) throw new EmulatorConfigError({ message: decoded.error })
  const temporary = decoded.value.storage_dir === undefined
  const dir = temporary
    ? await fsp.mkdtemp(path.join(os.tmpdir(), "asrflow-emulator-"))
    : path.resolve(decoded.value.storage_dir!)
  await fsp.mkdir(dir, { recursive: true })
  const state = new State(config, decoded.value, dir)
  const server = Server.make(state)
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve())
  })
  const port = (server.address() as { port: number }).port
  const origin = `http://127.0.0.1:${port}`
  state.origin = origin
  const handle: EmulatorHandle = {
    nativeBaseUrl: `${origin}/api/v1`,
    compatibleBaseUrl: `${origin}/compatible-mode/v1`,
    origin,
    apiKey: state.apiKey,
    storageDir: dir,
    report: Effect.sync(() => state.report()),
    reset: Effect.sync(() => state.reset()),
    setConfig: (patch) =>
      Effect.try({
        try: () => state.patch(patch),
        catch: (error) => new EmulatorConfigError({ message: (error as Error).message })
      }),
    advance: (ms) => Effect.sync(() => state.clock.advance(ms))
  }
  return { handle, close: () => stop(server, state, temporary) }
}

const stop = async (server: http.Server, state: State, removeDir: boolean): Promise<void> => {
  state.clock.release()
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
  await state.uploads.close(removeDir)
}

/**
 * Starts the emulator; the server is closed (and its temporary storage removed) when the scope closes.
 * An invalid config is a defect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: EmulatorConfig.Input = {},
  options: Options = {}
): Effect.Effect<EmulatorHandle, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => start(config, options)),
    (running) => Effect.promise(() => running.close())
  ).pipe(Effect.map((running) => running.handle))

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: EmulatorConfig.Input = {}, options: Options = {}): Layer.Layer<Emulator> =>
  Layer.scoped(Emulator, make(config, options))

/**
 * The Promise flavour of a running emulator, for vitest setup and non-Effect code.
 *
 * @since 0.1.0
 * @category models
 */
export interface StartedEmulator {
  readonly nativeBaseUrl: string
  readonly compatibleBaseUrl: string
  readonly origin: string
  readonly apiKey: string
  readonly storageDir: string
  readonly report: () => Promise<Report>
  readonly reset: () => Promise<void>
  readonly setConfig: (patch: EmulatorConfig.Input) => Promise<void>
  readonly advance: (ms: number) => Promise<void>
  readonly close: () => Promise<void>
}

/**
 * Starts the emulator and returns Promise-returning methods plus `close()`. Rejects on an invalid config.
 *
 * @since 0.1.0
 * @category constructors
 */
export const startEmulator = async (
  config: EmulatorConfig.Input = {},
  options: Options = {}
): Promise<StartedEmulator> => {
  const { close, handle } = await start(config, options)
  return {
    nativeBaseUrl: handle.nativeBaseUrl,
    compatibleBaseUrl: handle.compatibleBaseUrl,
    origin: handle.origin,
    apiKey: handle.apiKey,
    storageDir: handle.storageDir,
    report: () => Effect.runPromise(handle.report),
    reset: () => Effect.runPromise(handle.reset),
    setConfig: (patch) => Effect.runPromise(handle.setConfig(patch)),
    advance: (ms) => Effect.runPromise(handle.advance(ms)),
    close
  }
}
