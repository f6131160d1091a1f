import { Effect, Layer, Ref } from "effect"
import { AudioItem } from "../../src/AudioItem.js"
import { SinkError } from "../../src/Sink.js"
import type { Sink } from "../../src/Sink.js"
import { Transcriber } from "../../src/Transcriber.js"
import { Transcript } from "../../src/Transcript.js"
import type { TranscriptResult } from "../../src/Transcript.js"

export const item = (name: string, extra: Partial<ConstructorParameters<typeof AudioItem>[0]> = {}) =>
  new AudioItem({
    id: `/audio/${name}`,
    source: `/audio/${name}`,
    kind: "file",
    outputKey: name.replace(/\.[^.]+$/, ""),
    origin: "sources[0] files",
    ...extra
  })

export const transcript = (text: string) =>
  new Transcript({ text, model: "fake", provider: "fake", status: "SUCCEEDED", raw: { text }, usageSeconds: 1 })

export const withTranscriber = (transcribe: Transcriber.Service["transcribe"]) =>
  Layer.succeed(Transcriber, {
    provider: "fake",
    transcribe,
    plan: (item) => ({ route: "fake", model: "fake", warnings: [], estimatedSeconds: (item.durationMs ?? 0) / 1000 }),
    requestKey: () => "fake"
  })

export const memorySink = (options: { readonly failFor?: (result: TranscriptResult) => boolean } = {}) =>
  Effect.gen(function*() {
    const written = yield* Ref.make<ReadonlyArray<TranscriptResult>>([])
    const sink: Sink.Service = {
      name: "memory",
      write: (result) =>
        options.failFor?.(result)
          ? Effect.fail(
            new SinkError({ sink: "memory", reason: "Write", path: result.item.outputKey, description: "disk full" })
          )
          : Ref.update(written, (all) => [...all, result])
    }
    return { sink, written } as const
  })
