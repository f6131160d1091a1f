import type { AudioItem } from "@asrflow/core/AudioItem"
import * as AudioItemModule from "@asrflow/core/AudioItem"
import { Transcriber } from "@asrflow/core/Transcriber"
import type { TranscriptionError } from "@asrflow/core/Transcriber"
import { Transcript } from "@asrflow/core/Transcript"
import type * as Emulator from "@asrflow/emulator/Emulator"
import type * as EmulatorConfig from "@asrflow/emulator/EmulatorConfig"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, HashMap, Layer, Logger, LogLevel, Redacted, Schema } from "effect"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as path from "node:path"
import * as QwenConfig from "../src/QwenConfig.js"
import * as QwenProvider from "../src/QwenProvider.js"
import * as Audio from "./utils/Audio.js"
import * as Emulated from "./utils/Emulated.js"

// =============================================================================
// Real audio, made at test time
// =============================================================================

const dir = Audio.tempDir()
const spoken: ReadonlyArray<[Audio.Format, string]> = [
  ["wav", "the quick brown fox"],
  ["mp3", "jumps over the lazy dog"],
  ["flac", "hello from asrflow"],
  ["ogg", "effect schedules retry"],
  ["m4a", "short audio goes sync"]
]
const files = spoken.map(([format, text]) => ({ file: Audio.speech(dir, `speech-${format}`, text, format), text }))
const sixMinutes = Audio.tone(dir, "six-minutes", 360, "mp3")
const sha256 = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex")
const transcripts = Object.fromEntries(files.map(({ file, text }) => [sha256(file), text]))

/** A tiny static server, so that the emulator can download audio by URL. */
const serveFiles = Effect.acquireRelease(
  Effect.async<http.Server>((resume) => {
    const server = http.createServer((req, res) => {
      const file = path.join(dir, path.basename(decodeURIComponent(req.url ?? "")))
      if (!fs.existsSync(file)) {
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, { "content-length": fs.statSync(file).size }).end(fs.readFileSync(file))
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
  }),
  (server) =>
    Effect.async<void>((resume) => {
      server.close(() => resume(Effect.void))
    })
).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`))

const freePort = Effect.async<number>((resume) => {
  const server = net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as net.AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

// =============================================================================
// Harness
// =============================================================================

const emulatorConfig = (extra: EmulatorConfig.Input = {}): EmulatorConfig.Input => ({
  api_key: "sk-emulator-integration-key-7f3a",
  transcripts,
  ...extra
})

const fastRetry = { attempts: 8, initial_backoff_ms: 20, max_backoff_ms: 200, jitter: true }

/** Transcribes the items through the provider layer and collects every log line. */
const transcribeAll = (
  emulator: Emulator.EmulatorHandle,
  fields: Record<string, unknown>,
  items: ReadonlyArray<AudioItem>,
  apiKey: string = emulator.apiKey
) =>
  Effect.gen(function*() {
    const logs: Array<string> = []
    const logger = Logger.make(({ annotations, logLevel, message }) => {
      logs.push(
        `${logLevel.label} ${JSON.stringify(message)} ${JSON.stringify(Array.from(HashMap.toEntries(annotations)))}`
      )
    })
    const config = QwenConfig.decode({
      type: "qwen",
      base_url: { native: emulator.nativeBaseUrl, compatible: emulator.compatibleBaseUrl },
      retry: fastRetry,
      rate_limit: { requests_per_minute: 6000 },
      ...fields
    })
    const results = yield* Effect.flatMap(
      Transcriber,
      (transcriber) => Effect.forEach(items, (item) => Effect.either(transcriber.transcribe(item)), { concurrency: 4 })
    ).pipe(
      Effect.provide(QwenProvider.layer(config, { key: Redacted.make(apiKey), source: "option" })),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.All)
    )
    return { results, logs }
  })

const succeeded = (results: ReadonlyArray<Either.Either<Transcript, TranscriptionError>>) =>
  results.map((result) => {
    if (Either.isLeft(result)) throw new Error(`expected success, got ${result.left.message}`)
    return result.right
  })

const withEmulator = Emulated.withEmulator

const items = files.map(({ file }) => Audio.item(file))

// =============================================================================
// Tests
// =============================================================================

describe("QwenAsrSync against the emulator", () => {
  const modes: ReadonlyArray<[string, Record<string, unknown>]> = [
    ["compatible", {}],
    ["compatible, streaming", { stream: true }],
    ["native", { protocol: "native" }],
    ["native, streaming", { protocol: "native", stream: true }]
  ]
  for (const [name, fields] of modes) {
    it.live(`transcribes wav, mp3, flac, ogg and m4a through the ${name} endpoint`, () =>
      withEmulator(emulatorConfig(), (emulator) =>
        Effect.gen(function*() {
          const { results } = yield* transcribeAll(emulator, { language_hints: ["en"], ...fields }, items)
          const transcripts = succeeded(results)
          assert.deepStrictEqual(transcripts.map((t) => t.text.trim()), files.map((f) => f.text))
          for (const transcript of transcripts) {
            assert.strictEqual(transcript.language, "en")
            assert.isDefined(transcript.emotion)
            assert.isAbove(transcript.usageSeconds ?? 0, 0)
            assert.isDefined(transcript.requestId)
          }
          const report = yield* emulator.report
          assert.deepStrictEqual(report.violations, [])
          assert.strictEqual(report.mime_mismatches, 0)
          assert.strictEqual(report.key_leaks, 0)
          const endpoint = fields.protocol === "native" ? "native" : "compatible"
          assert.strictEqual(report.counts[`${endpoint} 200`], files.length)
        })))
  }

  it.live("transcribes the URLs a server on 127.0.0.1 serves", () =>
    Effect.scoped(Effect.gen(function*() {
      const origin = yield* serveFiles
      const urlItems = files.map(({ file }) =>
        new AudioItemModule.AudioItem({
          id: path.basename(file),
          source: `${origin}/${path.basename(file)}`,
          kind: "url",
          outputKey: path.basename(file),
          origin: "test"
        })
      )
      yield* withEmulator(emulatorConfig(), (emulator) =>
        Effect.gen(function*() {
          const { results } = yield* transcribeAll(emulator, {}, urlItems)
          assert.deepStrictEqual(succeeded(results).map((t) => t.text.trim()), files.map((f) => f.text))
          assert.deepStrictEqual((yield* emulator.report).violations, [])
        }))
    })))

  it.live("fails a 6-minute file alone, before sending, and transcribes the rest", () =>
    withEmulator(emulatorConfig(), (emulator) =>
      Effect.gen(function*() {
        const { results } = yield* transcribeAll(emulator, {}, [...items, Audio.item(sixMinutes)])
        const failures = results.filter(Either.isLeft).map((r) => r.left)
        assert.strictEqual(failures.length, 1)
        assert.strictEqual(failures[0].input, sixMinutes)
        assert.include(failures[0].message, "5-minute limit")
        assert.include(failures[0].message, "qwen3-asr-flash-filetrans")
        const report = yield* emulator.report
        assert.strictEqual(report.requests.compatible, files.length)
        assert.deepStrictEqual(report.violations, [])
      })))

  it.live("succeeds for every file with 30 % injected 500/503 and a 429 burst, retrying exactly the faults", () =>
    withEmulator(
      emulatorConfig({
        seed: 7,
        faults: [
          { endpoint: "compatible", kind: "internal_error", probability: 0.15 },
          { endpoint: "compatible", kind: "model_unavailable", probability: 0.15 },
          { endpoint: "compatible", kind: "throttle", every: 1, limit: 4 }
        ]
      }),
      (emulator) =>
        Effect.gen(function*() {
          const many = [...items, ...items, ...items, ...items]
          const { logs, results } = yield* transcribeAll(emulator, {}, many)
          assert.strictEqual(succeeded(results).length, many.length)
          const report = yield* emulator.report
          const injected = Object.values(report.faults).reduce((a, b) => a + b, 0)
          assert.isAtLeast(report.faults.throttle ?? 0, 4)
          assert.isAbove((report.faults.internal_error ?? 0) + (report.faults.model_unavailable ?? 0), 0)
          assert.strictEqual(report.counts["compatible 200"], many.length)
          assert.strictEqual(report.requests.compatible, many.length + injected)
          const retries = logs.filter((line) => line.includes("retrying after"))
          assert.strictEqual(retries.length, injected)
          for (const line of retries) assert.match(line, /"attempt",[1-8]\]/)
          assert.deepStrictEqual(report.violations, [])
        })
    ))

  it.live("stops at a wrong key with Unauthorized and the region hint, without retrying", () =>
    withEmulator(emulatorConfig(), (emulator) =>
      Effect.gen(function*() {
        const { results } = yield* transcribeAll(emulator, {}, items.slice(0, 1), "sk-wrong-key-000000")
        const [result] = results
        assert.isTrue(Either.isLeft(result))
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left.reason, "Unauthorized")
          assert.isTrue(result.left.isFatal)
          assert.include(result.left.message, "bound to a region")
        }
        const report = yield* emulator.report
        assert.strictEqual(report.requests.compatible, 1)
      })))

  it.live("never writes the key into transcripts, errors or logs", () =>
    withEmulator(emulatorConfig(), (emulator) =>
      Effect.gen(function*() {
        const { logs, results } = yield* transcribeAll(emulator, { stream: true }, [...items, Audio.item(sixMinutes)])
        const { logs: badLogs, results: badResults } = yield* transcribeAll(
          emulator,
          {},
          items.slice(0, 1),
          "sk-wrong-key-000000"
        )
        const written = [
          ...results.map((r) =>
            Either.isRight(r)
              ? JSON.stringify(Schema.encodeSync(Transcript)(r.right))
              : `${r.left.message} ${JSON.stringify(r.left)}`
          ),
          ...badResults.map((r) => Either.isLeft(r) ? `${r.left.message} ${JSON.stringify(r.left)}` : ""),
          ...logs,
          ...badLogs
        ].join("\n")
        assert.isAbove(written.length, 1000)
        assert.notInclude(written, emulator.apiKey)
        assert.notInclude(written, "sk-wrong-key-000000")
        assert.strictEqual((yield* emulator.report).key_leaks, 0)
      })))
})

describe("Doctor against the emulator", () => {
  const doctor = (apiKey: string, nativeBaseUrl: string) =>
    QwenProvider.component.doctor(
      QwenConfig.decode({ type: "qwen", base_url: { native: nativeBaseUrl } }),
      { key: Redacted.make(apiKey), source: "option" }
    )

  it.live("reports ok (exit 0) for a good key, with the key's source and without the key", () =>
    withEmulator(emulatorConfig(), (emulator) =>
      Effect.gen(function*() {
        const report = yield* doctor(emulator.apiKey, emulator.nativeBaseUrl)
        assert.isTrue(report.ok)
        assert.match(report.message, /^ok: /)
        assert.strictEqual(report.exitCode, 0)
        assert.deepStrictEqual(report.facts.slice(0, 3), [
          ["key", "option"],
          ["region", "cn-beijing"],
          ["endpoint", emulator.nativeBaseUrl]
        ])
        assert.notInclude(JSON.stringify(report), emulator.apiKey)
        const emulated = yield* emulator.report
        assert.strictEqual(emulated.requests.task, 1)
        assert.deepStrictEqual(emulated.violations, [])
      })))

  it.live("reports a bad key (exit 3) with the region hint", () =>
    withEmulator(emulatorConfig(), (emulator) =>
      Effect.gen(function*() {
        const report = yield* doctor("sk-not-this-one-123", emulator.nativeBaseUrl)
        assert.match(report.message, /^unauthorized: /)
        assert.isFalse(report.ok)
        assert.strictEqual(report.exitCode, 3)
        assert.include(report.message, "bound to a region")
        assert.notInclude(JSON.stringify(report), "sk-not-this-one-123")
      })))

  it.live("reports no connectivity (exit 3) for a closed port", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const report = yield* doctor("sk-anything-12345", `http://127.0.0.1:${port}/api/v1`)
      assert.match(report.message, /^unreachable: /)
      assert.strictEqual(report.exitCode, 3)
    }).pipe(Effect.provide(Layer.mergeAll(NodeContext.layer, NodeHttpClient.layerUndici))))
})
