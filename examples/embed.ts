/**
 * asrflow as a library, both ways. Run it with:
 *
 *   npx tsx examples/embed.ts                              (uses the embedded emulator when no key is set)
 *   DASHSCOPE_API_KEY=sk-... npx tsx examples/embed.ts     (the real service)
 */
import { runPipeline, transcribe } from "@asrflow/cli/api"
import { AudioItem, AudioProbe, Transcriber } from "@asrflow/core"
import { Emulator } from "@asrflow/emulator"
import { QwenConfig, QwenProvider } from "@asrflow/providers"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { ConfigProvider, Console, Effect, Layer } from "effect"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const audio = path.join(here, "quickstart/audio/welcome.wav")
const emulator = !process.env.DASHSCOPE_API_KEY
const outputDir = process.env.OUTPUT_DIR ? path.join(process.env.OUTPUT_DIR, "aliyun-qwen-asr") : undefined

// 1. Promise API: one recording in, the normalized {text, task_id, status, raw} out.
const response = await transcribe({ audio, model: "qwen3-asr-flash", language_hints: ["en"] }, { emulator, outputDir })
console.log(`promise API: ${response.status}: ${response.text}`)

// ... and a whole pipeline file, to its summary.
const summary = await runPipeline(path.join(here, "quickstart/pipeline.yaml"), { emulator, outputDir })
console.log(`promise API: pipeline: ${summary.done} done, ${summary.failed} failed`)

// 2. Effect API: the same services the CLI composes, provided at the edge.
const program = Effect.gen(function*() {
  const probe = yield* AudioProbe.AudioProbe
  const transcriber = yield* Transcriber.Transcriber
  const item = yield* probe.probe(
    new AudioItem.AudioItem({ id: audio, source: audio, kind: "file", outputKey: "welcome", origin: "embed.ts" })
  )
  const transcript = yield* transcriber.transcribe(item)
  yield* Console.log(`effect API: ${transcript.model} (${transcript.language ?? "?"}): ${transcript.text}`)
})

// Without a key, point the provider at an emulator, through the variables the provider says it reads.
const keyless = Layer.unwrapScoped(
  Effect.map(
    Emulator.make({}),
    (handle) => Layer.setConfigProvider(ConfigProvider.fromMap(new Map(QwenProvider.component.emulator!(handle))))
  )
)

await program.pipe(
  // the key comes from DASHSCOPE_API_KEY or the credentials files (or the emulator's, without a key)
  Effect.provide(QwenProvider.layerConfig(QwenConfig.decode({ type: "qwen", model: "qwen3-asr-flash" }))),
  Effect.provide(AudioProbe.AudioProbe.Default),
  Effect.provide(Layer.mergeAll(NodeContext.layer, NodeHttpClient.layerUndici)),
  Effect.provide(emulator ? keyless : Layer.empty),
  Effect.runPromise
)
