/**
 * The qwen split route: a long local recording cut at its pauses (core `SplitRoute`), each chunk sent
 * to the sync model through the sync transcriber's one paced-and-retried call site, and the answers
 * stitched into one transcript with sentence times, `route: "split"` and the list of chunks.
 *
 * @since 0.2.0
 */
import type { AudioItem } from "@asrflow/core/AudioItem"
import * as Ffmpeg from "@asrflow/core/Ffmpeg"
import * as SplitRoute from "@asrflow/core/SplitRoute"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import { Evidence, Transcript } from "@asrflow/core/Transcript"
import { CommandExecutor, FileSystem, Path } from "@effect/platform"
import { DateTime, Effect } from "effect"
import * as Models from "./Models.js"
import type * as QwenAsrSync from "./QwenAsrSync.js"
import { limitViolation, streams } from "./QwenAsrSync.js"
import type { QwenConfig } from "./QwenConfig.js"
import * as QwenLongAudio from "./QwenLongAudio.js"
import { warningsFor } from "./QwenRequest.js"

/** The configured context, then the previous chunk's last sentence. */
const joinContext = (configured: string | undefined, previous: string | undefined): string | undefined => {
  const parts = [configured, previous].filter((part): part is string => part !== undefined && part.trim() !== "")
  return parts.length === 0 ? undefined : parts.join("\n")
}

/** The sync model's warnings, except that split sentences do have times (words still do not). */
const splitWarnings = (model: string, request: QwenAsrSync.Route["request"]): Array<string> =>
  warningsFor(Models.lookup(model)!, model, request).flatMap((warning) =>
    !warning.includes("timestamp_granularities")
      ? [warning]
      : request.timestamp_granularities?.includes("word")
      ? [`${model} returns no word timestamps; the split route times sentences by their chunks and pauses`]
      : []
  )

/**
 * The split transcriber over a sync transcriber.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(config: QwenConfig, sync: QwenAsrSync.Service) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const executor = yield* CommandExecutor.CommandExecutor
  // looked for once per run, when the first item needs it
  const ffmpeg = yield* Effect.cached(Effect.provideService(Ffmpeg.locate, CommandExecutor.CommandExecutor, executor))

  const fail = (item: AudioItem, description: string, cause?: unknown) =>
    new TranscriptionError({
      provider: "qwen",
      input: item.source,
      reason: "InvalidAudio",
      description,
      ...(cause !== undefined ? { cause } : {})
    })

  /** A chunk file, streamed as a data URI when sent; within the model's encoded-size limit. */
  const chunkAudio = (item: AudioItem, route: QwenAsrSync.Route, request: SplitRoute.ChunkRequest) =>
    Effect.gen(function*() {
      const info = yield* fs.stat(request.file).pipe(
        Effect.mapError((cause) => fail(item, `cannot read a chunk: ${cause.message}`, cause))
      )
      const bytes = Number(info.size)
      const violation = limitViolation(route.capability, route.model, {
        encodedBytes: Models.dataUriLength(bytes, request.mime)
      })
      if (violation !== undefined) {
        return yield* fail(item, `${violation}; lower split.max_chunk_seconds or set split.format: opus`)
      }
      return { file: request.file, mime: request.mime, bytes }
    })

  const sendChunk = (item: AudioItem, model: string) => (request: SplitRoute.ChunkRequest) =>
    Effect.gen(function*() {
      const durationMs = request.chunk.endMs - request.chunk.startMs
      const base = yield* sync.routeOf(item, model)
      const route = { ...base, stream: streams(base.capability, base.request, { durationMs }) }
      // after the pacer: the context known by now, and the audio read only now
      const prepare = Effect.gen(function*() {
        const context = joinContext(route.request.context, yield* request.context)
        const withContext = { ...route, request: { ...route.request, context } }
        return { route: withContext, audio: yield* chunkAudio(item, withContext, request) }
      })
      const response = yield* sync.paced(item.source, route, durationMs, prepare)
      return {
        text: response.answer.text,
        requestId: response.requestId,
        usageSeconds: response.answer.usageSeconds,
        language: response.answer.language,
        emotion: response.answer.emotion,
        raw: response.raw
      } satisfies SplitRoute.ChunkAnswer
    })

  const transcribe = (item: AudioItem): Effect.Effect<Transcript, TranscriptionError> =>
    Effect.gen(function*() {
      const model = QwenLongAudio.syncModelFor(config, item)
      const route = yield* sync.routeOf(item, model)
      const result = yield* SplitRoute.run(item, {
        provider: "qwen",
        policy: config.split,
        modelMaxMs: QwenLongAudio.maxChunkMs(config, model),
        ffmpeg,
        send: sendChunk(item, model)
      }).pipe(
        Effect.provideService(FileSystem.FileSystem, fs),
        Effect.provideService(Path.Path, path),
        Effect.provideService(CommandExecutor.CommandExecutor, executor)
      )
      const at = DateTime.formatIso(yield* DateTime.now)
      const raw = { route: "split", chunks: result.raws.map(({ index, raw }) => ({ index, response: raw ?? null })) }
      return new Transcript({
        text: result.text,
        model,
        provider: "qwen",
        status: "SUCCEEDED",
        ...(result.language !== undefined ? { language: result.language } : {}),
        ...(result.emotion !== undefined ? { emotion: result.emotion } : {}),
        durationMs: result.durationMs,
        ...(result.usageSeconds !== undefined ? { usageSeconds: result.usageSeconds } : {}),
        sentences: result.sentences,
        channels: [],
        warnings: splitWarnings(model, route.request),
        raw,
        evidence: result.raws.map(({ index, raw }) =>
          new Evidence({ phase: `transcribe chunk ${index + 1}`, at, body: raw ?? null })
        ),
        route: "split",
        chunks: result.chunks
      })
    }).pipe(Effect.withSpan("QwenAsrSplit.transcribe"), Effect.annotateLogs({ item: item.source }))

  return { transcribe }
})
