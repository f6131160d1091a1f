/**
 * A small local file is read whole once per run: the provider sends the bytes the probe read and hashed
 * (core's `InFlightAudio`), through `Pipeline.run` against the emulator, with a file system that counts reads.
 */
import { AudioProbe } from "@asrflow/core/AudioProbe"
import type * as Component from "@asrflow/core/Component"
import * as Pipeline from "@asrflow/core/Pipeline"
import * as PipelineLoader from "@asrflow/core/PipelineLoader"
import * as Registry from "@asrflow/core/Registry"
import { RunContext } from "@asrflow/core/RunContext"
import * as Sources from "@asrflow/core/Sources"
import type { EmulatorHandle } from "@asrflow/emulator/Emulator"
import { FileSystem } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel, Redacted, Schema, Stream } from "effect"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Providers from "../src/Providers.js"
import * as Audio from "./utils/Audio.js"
import * as Emulated from "./utils/Emulated.js"

const dir = Audio.tempDir()
const audioDir = path.join(dir, "audio")
const files = [0, 1, 2, 3].map((index) => Emulated.toneWav(path.join(audioDir, `tone-${index}.wav`), index, 1))
const sha256 = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex")
// a text per file, returned only for its exact bytes: a transcript proves what the emulator received
const texts = Object.fromEntries(files.map((file) => [sha256(file), `the words of ${path.basename(file)}`]))

/** The platform's file system, counting per path the whole-file reads, the streams and the handles opened. */
const countingFileSystem = (counts: Record<"reads" | "streams" | "opens", Map<string, number>>) =>
  Layer.effect(
    FileSystem.FileSystem,
    Effect.map(FileSystem.FileSystem, (platform) => {
      const count = (counts: Map<string, number>, file: string) => counts.set(file, (counts.get(file) ?? 0) + 1)
      return {
        ...platform,
        readFile: (file: string) =>
          Effect.zipRight(Effect.sync(() => count(counts.reads, file)), platform.readFile(file)),
        stream: (file: string, options?: FileSystem.StreamOptions) =>
          Stream.unwrap(Effect.sync(() => count(counts.streams, file)).pipe(Effect.as(platform.stream(file, options)))),
        open: (file: string, options?: FileSystem.OpenFileOptions) =>
          Effect.zipRight(Effect.sync(() => count(counts.opens, file)), platform.open(file, options))
      }
    })
  ).pipe(Layer.provide(NodeContext.layer))

/** A sink that keeps each item's text, or its failure. */
const memorySink = (written: Map<string, string>): Component.SinkComponent<{ readonly type: "memory" }, never> => ({
  kind: "sink",
  type: "memory",
  description: "results in memory",
  config: Schema.Struct({ type: Schema.Literal("memory") }),
  make: () =>
    Effect.succeed({
      name: "memory",
      write: (result) =>
        Effect.sync(() => {
          written.set(
            result.item.source,
            result._tag === "Transcribed" ? result.transcript.text : `failed: ${result.message}`
          )
        })
    })
})

/** The provider blocks under test, pointed at the emulator. */
const providers = {
  qwen: (emulator: EmulatorHandle) => ({
    type: "qwen",
    model: "qwen3-asr-flash",
    base_url: { native: emulator.nativeBaseUrl, compatible: emulator.compatibleBaseUrl }
  }),
  "qwen filetrans (temporary upload)": (emulator: EmulatorHandle) => ({
    type: "qwen",
    model: "qwen3-asr-flash-filetrans",
    base_url: { native: emulator.nativeBaseUrl, compatible: emulator.compatibleBaseUrl },
    poll: { initial_interval_ms: 50, max_interval_ms: 200, timeout_secs: 120 }
  }),
  "funasr (temporary upload)": (emulator: EmulatorHandle) => ({
    type: "funasr",
    model: "paraformer-v2",
    base_url: { native: emulator.nativeBaseUrl },
    poll: { initial_interval_ms: 50, max_interval_ms: 200, timeout_secs: 120 },
    batch: { linger_ms: 50 }
  }),
  openai: (emulator: EmulatorHandle) => ({ type: "openai", base_url: `${emulator.origin}/v1` })
}

/** `Pipeline.run` over the audio folder, to the emulator, with `retry` for the provider. */
const runAll = (
  emulator: EmulatorHandle,
  retry: Record<string, unknown>,
  provider: (emulator: EmulatorHandle) => Record<string, unknown> = providers.qwen
) =>
  Effect.gen(function*() {
    const counts = { reads: new Map<string, number>(), streams: new Map<string, number>(), opens: new Map() }
    const written = new Map<string, string>()
    const registries = {
      sources: Sources.registry,
      providers: Providers.registry,
      sinks: Registry.make(memorySink(written))
    }
    const config = yield* PipelineLoader.decodeObject({
      version: 1,
      sources: [{ type: "files", include: [audioDir] }],
      provider: { ...provider(emulator), rate_limit: { requests_per_minute: 6000 }, retry },
      sinks: [{ type: "memory" }]
    }, registries)
    const summary = yield* Pipeline.run(config, registries, {
      concurrency: 2,
      credentials: { key: Redacted.make(emulator.apiKey), source: "test" }
    }).pipe(
      // the retries' warnings are expected here
      Logger.withMinimumLogLevel(LogLevel.Error),
      Effect.provide(
        Layer.mergeAll(
          AudioProbe.Default,
          NodeHttpClient.layerUndici,
          Layer.succeed(RunContext, {
            baseDir: dir,
            outputRoot: path.join(dir, "output"),
            runId: "in-flight",
            startedAt: new Date(0)
          })
        ).pipe(Layer.provideMerge(countingFileSystem(counts)), Layer.provideMerge(NodeContext.layer))
      )
    )
    return { summary, ...counts, written, report: yield* emulator.report }
  })

const perFile = (counts: Map<string, number>) => files.map((file) => counts.get(file) ?? 0)

const key = "sk-emulator-in-flight-key-4c1d"

/** An emulator whose first sync request fails with a 500. */
const withFirstRequestFailing = <A, E>(use: (emulator: EmulatorHandle) => Effect.Effect<A, E>) =>
  Emulated.withEmulator(
    Emulated.fastEmulator({
      api_key: key,
      transcripts: texts,
      faults: [{ endpoint: "sync", kind: "internal_error", at: [1] }]
    }),
    use
  )

describe("a small file's bytes, read once (InFlightAudio)", () => {
  for (const [name, provider] of Object.entries(providers)) {
    it.live(`${name}: each file is read whole once, and the emulator receives exactly those bytes`, () =>
      Emulated.withEmulator(
        Emulated.fastEmulator({ api_key: key, transcripts: texts }),
        (emulator) =>
          Effect.gen(function*() {
            const { opens, reads, report, streams, summary, written } = yield* runAll(
              emulator,
              { attempts: 2 },
              provider
            )
            assert.strictEqual(summary.done, files.length)
            assert.deepStrictEqual(perFile(reads), files.map(() => 1))
            assert.deepStrictEqual(perFile(streams), files.map(() => 0))
            assert.deepStrictEqual(perFile(opens), files.map(() => 0))
            assert.deepStrictEqual(files.map((file) => written.get(file)), files.map((file) => texts[sha256(file)]))
            // the transcripts are keyed by the bytes' hash: each file's exact bytes reached the emulator once
            assert.deepStrictEqual(
              files.map((file) => report.submissions_per_audio[sha256(file)]),
              files.map(() => 1)
            )
          })
      ))
  }

  it.live("a request retried within the attempt sends the same bytes without reading the file again", () =>
    withFirstRequestFailing((emulator) =>
      Effect.gen(function*() {
        const retry = { attempts: 2, initial_backoff_ms: 10, max_backoff_ms: 20 }
        const { reads, report, summary, written } = yield* runAll(emulator, retry)
        assert.strictEqual(summary.done, files.length)
        assert.strictEqual(summary.second_round, 0)
        assert.strictEqual(report.counts["compatible 500"], 1)
        assert.deepStrictEqual(perFile(reads), files.map(() => 1))
        assert.deepStrictEqual(files.map((file) => written.get(file)), files.map((file) => texts[sha256(file)]))
      })
    ))

  it.live("a later retry round reads the file again and still sends the right bytes", () =>
    withFirstRequestFailing((emulator) =>
      Effect.gen(function*() {
        // no retry within the attempt: the failed item goes back for a second round
        const retry = { attempts: 0, rounds: 1, initial_backoff_ms: 10, max_backoff_ms: 20 }
        const { reads, report, summary, written } = yield* runAll(emulator, retry)
        assert.strictEqual(summary.done, files.length)
        assert.strictEqual(summary.second_round, 1)
        assert.strictEqual(report.counts["compatible 500"], 1)
        // the item of the failed request was read by its probe, then by its second round; the others once
        assert.deepStrictEqual([...perFile(reads)].sort(), [1, 1, 1, 2])
        assert.deepStrictEqual(files.map((file) => written.get(file)), files.map((file) => texts[sha256(file)]))
        assert.deepStrictEqual(
          files.map((file) => report.submissions_per_audio[sha256(file)]),
          files.map(() => 1)
        )
      })
    ))
})
