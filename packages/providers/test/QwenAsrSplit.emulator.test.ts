import type { AudioItem } from "@asrflow/core/AudioItem"
import * as AudioPauses from "@asrflow/core/AudioPauses"
import { sentencesOf } from "@asrflow/core/ChunkStitch"
import * as Ffmpeg from "@asrflow/core/Ffmpeg"
import * as Ledger from "@asrflow/core/Ledger"
import * as SplitRoute from "@asrflow/core/SplitRoute"
import { Transcriber } from "@asrflow/core/Transcriber"
import type { Transcript } from "@asrflow/core/Transcript"
import type * as Emulator from "@asrflow/emulator/Emulator"
import type * as EmulatorConfig from "@asrflow/emulator/EmulatorConfig"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Redacted, Schedule } from "effect"
import * as path from "node:path"
import { cutsInsideWords, makeCorpus } from "../../../bench/lib/speech-corpus.mjs"
import * as QwenConfig from "../src/QwenConfig.js"
import * as QwenProvider from "../src/QwenProvider.js"
import * as Audio from "./utils/Audio.js"
import * as Emulated from "./utils/Emulated.js"

// =============================================================================
// A recording whose words and pauses are known
// =============================================================================

const dir = Audio.tempDir("asrflow-split-")
const recording = path.join(dir, "talk.wav")
// digital silence between words: the emulator's pitch of a stretch then does not depend on where a chunk starts
const corpus = makeCorpus({ file: recording, seconds: 70, seed: 3, vocabularySize: 16, noiseDb: -120 })
const item = Emulated.fileItem(recording, corpus.durationMs)
/** The pauses between sentences: where a cut may fall. */
const pauses = corpus.sentences.slice(1).map(([begin], i) => [corpus.sentences[i]![1], begin] as const)

const split = { max_chunk_seconds: 15, min_chunk_seconds: 5 }

const configOf = (emulator: Emulator.EmulatorHandle, fields: Record<string, unknown>) =>
  QwenConfig.decode({
    type: "qwen",
    base_url: { native: emulator.nativeBaseUrl, compatible: emulator.compatibleBaseUrl },
    retry: { attempts: 4, initial_backoff_ms: 20, max_backoff_ms: 100, jitter: false },
    rate_limit: { requests_per_minute: 60_000 },
    poll: { initial_interval_ms: 50, max_interval_ms: 100, timeout_secs: 120 },
    ...fields
  })

const splitFields = { model: "auto", long_audio: "split", split }

/** Transcribes one item through the whole provider layer, with whatever ledger the environment has. */
const transcribe = (emulator: Emulator.EmulatorHandle, fields: Record<string, unknown>, audio: AudioItem = item) =>
  Effect.flatMap(
    Transcriber,
    (transcriber) =>
      Effect.flatMap(Emulated.fingerprinted(transcriber, audio), (probed) => transcriber.transcribe(probed))
  ).pipe(
    Effect.provide(
      QwenProvider.layer(configOf(emulator, fields), { key: Redacted.make(emulator.apiKey), source: "option" })
    )
  )

const withEmulator = Emulated.withEmulator

const audioTranscripts: EmulatorConfig.Input = {
  synthetic_transcripts: "audio",
  rate_limits: { requests_per_minute: { default: 60_000 } },
  tasks: { pending_ms: 20, running_ms: 50 }
}

/** Cut points of a split transcript: where each chunk but the last ends. */
const cutsOf = (transcript: Transcript) => transcript.chunks!.slice(0, -1).map((chunk) => chunk.endMs)

// =============================================================================
// Tests
// =============================================================================

describe("QwenAsrSplit against the emulator", () => {
  it.live("cuts in pauses, sends the chunks in parallel and stitches them in order with their offsets", () =>
    withEmulator(audioTranscripts, (emulator) =>
      Effect.gen(function*() {
        const whole = yield* transcribe(emulator, { model: "qwen3-asr-flash" })
        const filetrans = yield* transcribe(emulator, { model: "qwen3-asr-flash-filetrans" })
        yield* emulator.reset
        const stitched = yield* transcribe(emulator, splitFields)

        assert.strictEqual(stitched.route, "split")
        assert.strictEqual(stitched.model, "qwen3-asr-flash")
        const chunks = stitched.chunks!
        assert.isAtLeast(chunks.length, 5)
        assert.strictEqual(chunks[0]!.startMs, 0)
        assert.strictEqual(chunks.at(-1)!.endMs, corpus.durationMs)
        for (const [i, chunk] of chunks.entries()) {
          assert.isAtMost(chunk.endMs - chunk.startMs, split.max_chunk_seconds * 1000)
          assert.isDefined(chunk.requestId)
          if (i > 0) assert.strictEqual(chunk.startMs, chunks[i - 1]!.endMs, "pause cuts neither gap nor overlap")
        }
        // every cut falls in a pause between sentences, none inside a word
        assert.deepStrictEqual(cutsInsideWords(cutsOf(stitched), corpus.words), [])
        for (const cut of cutsOf(stitched)) {
          assert.isTrue(pauses.some(([begin, end]) => cut > begin && cut < end), `cut at ${cut} ms is in a pause`)
        }
        // the chunks' transcripts, in order, are the whole recording's: a sentence per voiced stretch, as
        // long (the emulator draws a stretch's words from its pitch, which moves a little with where its
        // 20 ms frames start, so the words themselves may differ)
        const wholeSentences = sentencesOf(whole.text)
        const words = (sentence: string) => sentence.split(" ").length
        assert.isAbove(wholeSentences.length, 10)
        assert.deepStrictEqual(
          sentencesOf(stitched.text).map(words).map((n, i) => Math.abs(n - words(wholeSentences[i] ?? "")) <= 1),
          wholeSentences.map(() => true)
        )
        // sentence times from the chunk offsets agree with the filetrans model's own timestamps
        assert.strictEqual(stitched.sentences.length, filetrans.sentences.length)
        for (const [i, sentence] of stitched.sentences.entries()) {
          const reference = filetrans.sentences[i]!
          assert.closeTo(sentence.beginMs, reference.beginMs, 120, `sentence ${i} begins where filetrans says`)
          assert.closeTo(sentence.endMs, reference.endMs, 120, `sentence ${i} ends where filetrans says`)
        }
        assert.strictEqual(
          stitched.usageSeconds,
          chunks.reduce((sum, chunk) => sum + chunk.usageSeconds!, 0),
          "usage is the chunks' sum"
        )
        const report = yield* emulator.report
        assert.strictEqual(report.requests.compatible, chunks.length)
        assert.isAbove(report.peak_concurrent, 1, "chunks are sent in parallel")
        assert.deepStrictEqual(Object.values(report.submissions_per_audio), chunks.map(() => 1))
        assert.deepStrictEqual(report.violations, [])
      })))

  it.live("retries a chunk that fails transiently, alone", () =>
    withEmulator({
      ...audioTranscripts,
      faults: [{ endpoint: "sync", kind: "internal_error", at: [2] }, {
        endpoint: "sync",
        kind: "throttle",
        at: [4]
      }]
    }, (emulator) =>
      Effect.gen(function*() {
        const stitched = yield* transcribe(emulator, splitFields)
        const chunks = stitched.chunks!.length
        const report = yield* emulator.report
        assert.strictEqual(report.requests.compatible, chunks + 2, "two chunks were sent twice, no other")
        assert.strictEqual(report.counts["compatible 500"], 1)
        assert.strictEqual(report.counts["compatible 429"], 1)
        assert.strictEqual(report.counts["compatible 200"], chunks)
        assert.deepStrictEqual(Object.values(report.submissions_per_audio), stitched.chunks!.map(() => 1))
      })))

  it.live("a re-run after a crash sends only the chunks the ledger lacks, the next with the one before as context", () =>
    Effect.gen(function*() {
      const ledgerFile = path.join(dir, "resume-ledger.sqlite")
      // the plan the run will make, to know which chunks the emulator answers first
      const plan = yield* Effect.flatMap(
        Ffmpeg.locate,
        (ffmpeg) => AudioPauses.analyze(ffmpeg, recording, { silenceDb: -36, minPauseMs: 300 })
      ).pipe(
        Effect.map((analysis) =>
          SplitRoute.planFor(analysis, QwenConfig.decode({ type: "qwen", split }).split, 300_000)
        ),
        Effect.provide(NodeContext.layer)
      )
      const durations = plan.map((chunk) => (chunk.endMs - chunk.startMs) / 1000)
      const sorted = [...durations].sort((a, b) => a - b)
      // release the chunks up to a length (the median, else the nearest that works) such that one released
      // chunk is followed by one that is not: the re-run must send a chunk after a resumed one
      const leavesAGap = (limit: number) => durations.some((s, i) => s <= limit && (durations[i + 1] ?? 0) > limit)
      const middle = Math.floor(sorted.length / 2)
      const releaseAfter = [...sorted.slice(0, -1)]
        .map((limit, i) => ({ limit, distance: Math.abs(i - middle) }))
        .sort((a, b) => a.distance - b.distance)
        .find(({ limit }) => leavesAGap(limit))!.limit
      const released = durations.filter((s) => s <= releaseAfter).length
      yield* withEmulator({
        ...audioTranscripts,
        // a chunk's answer waits 1 s per second of its audio, on a clock that moves only when told
        clock: "manual",
        latency_ms: { sync_per_audio_second: 1000 }
      }, (emulator) =>
        Effect.gen(function*() {
          const first = yield* Effect.gen(function*() {
            const running = yield* Effect.fork(transcribe(emulator, splitFields))
            yield* waitUntil(Effect.map(emulator.report, (report) => report.clock_waiters === plan.length))
            yield* emulator.advance(releaseAfter * 1000)
            const transcriber = yield* Transcriber
            const probed = yield* Emulated.fingerprinted(transcriber, item)
            const recorded = Effect.flatMap(Ledger.Ledger, (ledger) =>
              Effect.map(
                Effect.forEach(plan, (chunk) => ledger.stage(probed.fingerprint!, `chunk:${chunk.index}`)),
                (stages) => stages.filter(Option.isSome).length
              ))
            yield* waitUntil(Effect.map(recorded, (n) => n === released))
            // the crash: nothing after this point of the run happens
            yield* Fiber.interrupt(running)
            return yield* emulator.report
          }).pipe(
            Effect.provide(
              QwenProvider.layer(configOf(emulator, splitFields), {
                key: Redacted.make(emulator.apiKey),
                source: "option"
              })
            ),
            Effect.provide(Emulated.ledgerLayer(ledgerFile))
          )
          assert.strictEqual(first.counts["compatible 200"], released)

          yield* emulator.reset
          yield* emulator.setConfig({ latency_ms: { sync_per_audio_second: 0 } })
          const stitched = yield* transcribe(emulator, splitFields).pipe(
            Effect.provide(Emulated.ledgerLayer(ledgerFile))
          )
          const chunks = stitched.chunks!
          const report = yield* emulator.report
          assert.strictEqual(chunks.length, plan.length)
          assert.strictEqual(report.requests.compatible, chunks.length - released, "only the missing chunks")
          assert.strictEqual(chunks.filter((chunk) => chunk.resumed).length, released)
          assert.deepStrictEqual(
            Object.values(report.submissions_per_audio),
            chunks.filter((chunk) => !chunk.resumed).map(() => 1),
            "each missing chunk once, no finished one again"
          )
          // a chunk sent after a resumed one carries that chunk's last sentence as context (text tokens)
          const responses = (stitched.raw as { readonly chunks: ReadonlyArray<{ readonly response: any }> }).chunks
          const afterResumed = chunks.filter((chunk) => !chunk.resumed && chunks[chunk.index - 1]?.resumed === true)
          assert.isAtLeast(afterResumed.length, 1)
          for (const chunk of afterResumed) {
            assert.isAbove(responses[chunk.index]!.response.usage.prompt_tokens_details.text_tokens, 0)
          }
          assert.deepStrictEqual(report.violations, [])
        }))
    }))
})

/** Waits (on the real clock, a few ms at a time, at most 20 s) until `condition` holds. */
const waitUntil = <E, R>(condition: Effect.Effect<boolean, E, R>) =>
  condition.pipe(
    Effect.repeat({ until: (done) => done, schedule: Schedule.spaced("10 millis") }),
    Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error("the awaited state never came") }),
    Effect.orDie
  )
