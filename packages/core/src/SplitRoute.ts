/**
 * The split route, for any provider with a sync model: one ffmpeg pass finds the pauses of a long local
 * recording (`AudioPauses`), `ChunkPlan` cuts it, each chunk is encoded into a scoped temporary folder one
 * at a time (ahead of the sends, which wait for the provider's pacer) and sent through the provider's own
 * `send` (its rate control and retries), and `ChunkStitch` puts the answers back together.
 *
 * Crash-safe: each chunk's answer is recorded in the ledger as it arrives (stage `chunk:<n>`), so a re-run
 * sends only the chunks that have none; a recorded chunk whose bounds no longer match the plan is sent
 * again. Each chunk may carry the last sentence of the chunk before it as context, when that one is
 * already transcribed by the time it is sent.
 *
 * @since 0.2.0
 */
import type { CommandExecutor } from "@effect/platform"
import { FileSystem, Path } from "@effect/platform"
import { Effect, Option, Ref, Schema, Stream } from "effect"
import type { AudioItem } from "./AudioItem.js"
import * as AudioPauses from "./AudioPauses.js"
import * as ChunkPlan from "./ChunkPlan.js"
import type { TimedText } from "./ChunkStitch.js"
import * as ChunkStitch from "./ChunkStitch.js"
import * as Ffmpeg from "./Ffmpeg.js"
import { Ledger } from "./Ledger.js"
import type { SplitPolicy } from "./SplitPolicy.js"
import { TranscriptionError } from "./Transcriber.js"
import type { Sentence } from "./Transcript.js"
import { TranscriptChunk } from "./Transcript.js"

/**
 * One encoded chunk, handed to the provider to send.
 *
 * @since 0.2.0
 * @category models
 */
export interface ChunkRequest {
  readonly chunk: ChunkPlan.Chunk
  readonly file: string
  readonly mime: string
  /** The context to send with it, read when it is sent (after the pacer): the previous chunk's last sentence. */
  readonly context: Effect.Effect<string | undefined>
}

/**
 * What the provider heard in a chunk.
 *
 * @since 0.2.0
 * @category models
 */
export interface ChunkAnswer {
  readonly text: string
  readonly requestId?: string | undefined
  readonly usageSeconds?: number | undefined
  readonly language?: string | undefined
  readonly emotion?: string | undefined
  /** The model's own sentence times, relative to the chunk. */
  readonly sentences?: ReadonlyArray<TimedText> | undefined
  /** The response body, kept as evidence. */
  readonly raw?: unknown
}

const TimedTextSchema = Schema.Struct({ beginMs: Schema.Number, endMs: Schema.Number, text: Schema.String })

/** A chunk's answer as the ledger keeps it. */
const ChunkState = Schema.Struct({
  startMs: Schema.Number,
  endMs: Schema.Number,
  text: Schema.String,
  requestId: Schema.optional(Schema.String),
  usageSeconds: Schema.optional(Schema.Number),
  language: Schema.optional(Schema.String),
  emotion: Schema.optional(Schema.String),
  sentences: Schema.optional(Schema.Array(TimedTextSchema)),
  raw: Schema.optional(Schema.Unknown)
})

type ChunkState = typeof ChunkState.Type

const decodeState = Schema.decodeUnknownOption(ChunkState)

/**
 * The ledger stage that holds chunk `index`'s answer.
 *
 * @since 0.2.0
 * @category utils
 */
export const stageName = (index: number): string => `chunk:${index}`

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** Labels errors. */
  readonly provider: string
  readonly policy: SplitPolicy
  /** The longest chunk the model accepts, in ms; the policy's is capped by it. */
  readonly modelMaxMs: number
  readonly ffmpeg: Effect.Effect<Ffmpeg.Located, Ffmpeg.FfmpegError>
  /** Sends one chunk through the provider's pacing and retries. */
  readonly send: (request: ChunkRequest) => Effect.Effect<ChunkAnswer, TranscriptionError>
}

/**
 * The stitched recording.
 *
 * @since 0.2.0
 * @category models
 */
export interface Result {
  readonly durationMs: number
  readonly text: string
  readonly sentences: ReadonlyArray<Sentence>
  readonly chunks: ReadonlyArray<TranscriptChunk>
  readonly usageSeconds: number | undefined
  readonly language: string | undefined
  readonly emotion: string | undefined
  /** Each chunk's response body, in order. */
  readonly raws: ReadonlyArray<{ readonly index: number; readonly raw: unknown }>
}

const mimeOf = { flac: "audio/flac", opus: "audio/ogg" } as const

/**
 * Plans the chunks of an analysed recording under a policy and a model limit.
 *
 * @since 0.2.0
 * @category utils
 */
export const planFor = (
  analysis: AudioPauses.Analysis,
  policy: SplitPolicy,
  modelMaxMs: number
): ReadonlyArray<ChunkPlan.Chunk> =>
  ChunkPlan.plan(analysis, {
    maxChunkMs: Math.min(policy.max_chunk_seconds * 1000, modelMaxMs),
    minChunkMs: policy.min_chunk_seconds * 1000,
    overlapMs: policy.overlap_ms
  })

/**
 * Transcribes a local item through the split route.
 *
 * @since 0.2.0
 * @category constructors
 */
export const run = (
  item: AudioItem,
  options: Options
): Effect.Effect<Result, TranscriptionError, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  Effect.scoped(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const fail = (reason: TranscriptionError["reason"], description: string, cause?: unknown) =>
      new TranscriptionError({
        provider: options.provider,
        input: item.source,
        reason,
        description,
        ...(cause !== undefined ? { cause } : {})
      })
    const fromFfmpeg = (error: Ffmpeg.FfmpegError) =>
      fail(error.reason === "NotFound" ? "InvalidRequest" : "InvalidAudio", error.description, error)

    const ffmpeg = yield* Effect.mapError(options.ffmpeg, fromFfmpeg)
    const analysis = yield* AudioPauses.analyze(ffmpeg, item.source, {
      silenceDb: options.policy.silence_db,
      minPauseMs: options.policy.min_pause_ms
    }).pipe(Effect.mapError(fromFfmpeg))
    if (analysis.durationMs === 0) return yield* fail("InvalidAudio", "ffmpeg decoded no audio from the file")
    const chunks = planFor(analysis, options.policy, options.modelMaxMs)

    // =========================================================================
    // What the ledger already has
    // =========================================================================
    const ledger = Option.getOrUndefined(yield* Effect.serviceOption(Ledger))
    const fingerprint = item.fingerprint
    const answers = yield* Ref.make(new Map<number, ChunkState>())
    const resumed = new Set<number>()
    if (ledger !== undefined && fingerprint !== undefined) {
      for (const chunk of chunks) {
        const found = Option.flatMap(
          yield* ledger.stage(fingerprint, stageName(chunk.index)),
          (stage) => decodeState(stage.state)
        )
        if (Option.isSome(found) && found.value.startMs === chunk.startMs && found.value.endMs === chunk.endMs) {
          resumed.add(chunk.index)
          yield* Ref.update(answers, (map) => new Map(map).set(chunk.index, found.value))
        }
      }
    }
    const record = (chunk: ChunkPlan.Chunk, state: ChunkState) =>
      Effect.zipRight(
        ledger !== undefined && fingerprint !== undefined
          ? ledger.recordStage(fingerprint, { itemId: item.id, name: stageName(chunk.index), state })
          : Effect.void,
        Ref.update(answers, (map) => new Map(map).set(chunk.index, state))
      )
    yield* Effect.logDebug("split plan").pipe(
      Effect.annotateLogs({ chunks: chunks.length, resumed: resumed.size, ffmpeg: ffmpeg.from })
    )

    // =========================================================================
    // Encode one at a time, send in parallel
    // =========================================================================
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "asrflow-split-" }).pipe(
      Effect.mapError((cause) => fail("Transport", `cannot create a temporary folder: ${cause.message}`, cause))
    )
    const format = options.policy.format
    const encode = (chunk: ChunkPlan.Chunk) => {
      const file = path.join(dir, `chunk-${chunk.index}.${format === "flac" ? "flac" : "ogg"}`)
      return Ffmpeg.encodeChunk(ffmpeg, { input: item.source, output: file, ...chunk, format }).pipe(
        Effect.mapError(fromFfmpeg),
        Effect.as({ chunk, file })
      )
    }
    const contextFor = (chunk: ChunkPlan.Chunk) =>
      Effect.map(Ref.get(answers), (map) => {
        if (!options.policy.context) return undefined
        const previous = map.get(chunk.index - 1)
        return previous === undefined ? undefined : ChunkStitch.sentencesOf(previous.text).at(-1)
      })
    const send = ({ chunk, file }: { readonly chunk: ChunkPlan.Chunk; readonly file: string }) =>
      options.send({ chunk, file, mime: mimeOf[format], context: contextFor(chunk) }).pipe(
        Effect.mapError((error) =>
          new TranscriptionError({
            ...error,
            description: `chunk ${chunk.index + 1} of ${chunks.length} (${chunk.startMs / 1000}-${
              chunk.endMs / 1000
            } s)${error.description !== undefined ? `: ${error.description}` : ""}`
          })
        ),
        Effect.flatMap((answer) =>
          record(chunk, {
            startMs: chunk.startMs,
            endMs: chunk.endMs,
            text: answer.text,
            ...(answer.requestId !== undefined ? { requestId: answer.requestId } : {}),
            ...(answer.usageSeconds !== undefined ? { usageSeconds: answer.usageSeconds } : {}),
            ...(answer.language !== undefined ? { language: answer.language } : {}),
            ...(answer.emotion !== undefined ? { emotion: answer.emotion } : {}),
            ...(answer.sentences !== undefined ? { sentences: answer.sentences } : {}),
            ...(answer.raw !== undefined ? { raw: answer.raw } : {})
          })
        ),
        Effect.zipRight(Effect.ignore(fs.remove(file)))
      )
    yield* Stream.fromIterable(chunks.filter((chunk) => !resumed.has(chunk.index))).pipe(
      Stream.mapEffect(encode),
      Stream.buffer({ capacity: 1 }),
      Stream.mapEffect(send, { concurrency: "unbounded", unordered: true }),
      Stream.runDrain
    )

    // =========================================================================
    // Stitch
    // =========================================================================
    const done = yield* Ref.get(answers)
    const states = chunks.map((chunk) => done.get(chunk.index)!)
    const stitched = ChunkStitch.stitch(states, analysis.pauses)
    const usages = states.flatMap((state) => state.usageSeconds !== undefined ? [state.usageSeconds] : [])
    return {
      durationMs: analysis.durationMs,
      text: stitched.text,
      sentences: stitched.sentences,
      chunks: chunks.map((chunk, i) =>
        new TranscriptChunk({
          index: chunk.index,
          startMs: chunk.startMs,
          endMs: chunk.endMs,
          ...(states[i]!.requestId !== undefined ? { requestId: states[i]!.requestId } : {}),
          ...(states[i]!.usageSeconds !== undefined ? { usageSeconds: states[i]!.usageSeconds } : {}),
          resumed: resumed.has(chunk.index)
        })
      ),
      usageSeconds: usages.length > 0 ? usages.reduce((a, b) => a + b, 0) : undefined,
      language: states.find((state) => state.language !== undefined)?.language,
      emotion: states.find((state) => state.emotion !== undefined)?.emotion,
      raws: states.map((state, index) => ({ index, raw: state.raw }))
    }
  }))
