import type { AudioItem } from "@asrflow/core/AudioItem"
import * as Fingerprint from "@asrflow/core/Fingerprint"
import * as Ledger from "@asrflow/core/Ledger"
import type { Transcriber } from "@asrflow/core/Transcriber"
import * as Emulator from "@asrflow/emulator/Emulator"
import type { EmulatorHandle } from "@asrflow/emulator/Emulator"
import type * as EmulatorConfig from "@asrflow/emulator/EmulatorConfig"
import type { HttpClient } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Effect, Layer, Redacted } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as DashScopeClient from "../../src/DashScopeClient.js"
import * as FunAsrConfig from "../../src/FunAsrConfig.js"
import * as FunAsrTranscriber from "../../src/FunAsrTranscriber.js"
import * as QwenAsrAsync from "../../src/QwenAsrAsync.js"
import * as QwenConfig from "../../src/QwenConfig.js"
import * as QwenProvider from "../../src/QwenProvider.js"
import * as Audio from "./Audio.js"

/** A short 16 kHz mono tone WAV written directly (distinct content per `index`). */
export const toneWav = (file: string, index: number, seconds = 2): string => {
  const rate = 16000
  const frames = rate * seconds
  const data = Buffer.alloc(frames * 2)
  for (let i = 0; i < frames; i++) {
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * (300 + index) * i) / rate) * 6000), i * 2)
  }
  const header = Buffer.alloc(44)
  header.write("RIFF", 0)
  header.writeUInt32LE(36 + data.length, 4)
  header.write("WAVEfmt ", 8)
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(1, 20)
  header.writeUInt16LE(1, 22)
  header.writeUInt32LE(rate, 24)
  header.writeUInt32LE(rate * 2, 28)
  header.writeUInt16LE(2, 32)
  header.writeUInt16LE(16, 34)
  header.write("data", 36)
  header.writeUInt32LE(data.length, 40)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, Buffer.concat([header, data]))
  return file
}

/** A probed local WAV item, as core's probe would produce it. */
export const fileItem = (file: string, durationMs: number) =>
  Audio.localItem(file, { container: "wav", mime: "audio/wav", durationMs })

/** An emulator fast enough for tests: no rate limit to speak of, tasks done in 200 ms. */
export const fastEmulator = (patch: EmulatorConfig.Input = {}): EmulatorConfig.Input => ({
  rate_limits: { requests_per_minute: { default: 60_000 } },
  tasks: { pending_ms: 50, running_ms: 150 },
  ...patch
})

/** A filetrans config with fast polls and retries. */
export const asyncConfig = (fields: Record<string, unknown> = {}) =>
  QwenConfig.decode({
    type: "qwen",
    model: "qwen3-asr-flash-filetrans",
    poll: { initial_interval_ms: 50, max_interval_ms: 200, timeout_secs: 120 },
    retry: { attempts: 3, initial_backoff_ms: 50, max_backoff_ms: 200 },
    rate_limit: { requests_per_minute: 60_000 },
    ...fields
  })

/** A DashScope client for the emulator over real HTTP (undici, as the CLI), living as long as the scope. */
export const clientFor = (
  emulator: EmulatorHandle,
  http: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerUndici,
  timeoutMs?: number
) =>
  Effect.flatMap(Layer.build(http), (context) =>
    DashScopeClient.make({
      apiKey: Redacted.make(emulator.apiKey),
      httpBaseUrl: emulator.nativeBaseUrl,
      timeoutMs
    }).pipe(Effect.provide(context)))

/** The async transcriber against the emulator. */
export const transcriberFor = (
  emulator: EmulatorHandle,
  fields: Record<string, unknown> = {},
  http: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerUndici,
  timeoutMs?: number
) =>
  Effect.gen(function*() {
    const client = yield* clientFor(emulator, http, timeoutMs)
    return yield* QwenAsrAsync.make(asyncConfig(fields)).pipe(
      Effect.provideService(DashScopeClient.DashScopeClient, client),
      Effect.provide(NodeContext.layer)
    )
  })

/** The run ledger in a SQLite file, migrated as a run migrates it (core, then the qwen provider's). */
export const ledgerLayer = (file: string) =>
  Ledger.layer([QwenProvider.component.migrations!]).pipe(
    Layer.provide(SqliteClient.layer({ filename: file })),
    Layer.orDie
  )

/** The item with its ledger fingerprint, as the runner computes it. */
export const fingerprinted = (transcriber: Transcriber.Service, item: AudioItem) =>
  Fingerprint.apply(item, transcriber.requestKey(item)).pipe(Effect.orDie, Effect.provide(NodeContext.layer))

/** A funasr config with fast polls and retries, a short linger and no pacing to speak of. */
export const funAsrConfig = (fields: Record<string, unknown> = {}) =>
  FunAsrConfig.decode({
    type: "funasr",
    model: "paraformer-v2",
    poll: { initial_interval_ms: 50, max_interval_ms: 200, timeout_secs: 120 },
    retry: { attempts: 3, initial_backoff_ms: 50, max_backoff_ms: 200 },
    rate_limit: { requests_per_minute: 60_000 },
    batch: { linger_ms: 500 },
    ...fields
  })

/** The Fun-ASR/Paraformer transcriber against the emulator; its batches live as long as the scope. */
export const funAsrFor = (emulator: EmulatorHandle, fields: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const client = yield* Effect.flatMap(Layer.build(NodeHttpClient.layerUndici), (context) =>
      DashScopeClient.make({
        apiKey: Redacted.make(emulator.apiKey),
        httpBaseUrl: emulator.nativeBaseUrl,
        provider: "funasr"
      }).pipe(Effect.provide(context)))
    return yield* FunAsrTranscriber.make(funAsrConfig(fields)).pipe(
      Effect.provideService(DashScopeClient.DashScopeClient, client),
      Effect.provide(NodeContext.layer)
    )
  })

/** Runs `use` against an emulator that lives as long as it, over real HTTP (undici) and the Node context. */
export const withEmulator = <A, E>(
  config: EmulatorConfig.Input,
  use: (emulator: EmulatorHandle) => Effect.Effect<A, E, any>
) =>
  Effect.scoped(Effect.flatMap(Emulator.make(config), use)).pipe(
    Effect.provide(Layer.mergeAll(NodeContext.layer, NodeHttpClient.layerUndici))
  ) as Effect.Effect<A, E, never>
