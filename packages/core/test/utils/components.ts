/**
 * Fake provider and sink components for tests of the loader and registries. Their configs follow the
 * public keys of the example pipeline in docs/CONTRIBUTING.md §3.5, so that it decodes.
 */
import { Effect, Layer, Redacted, Schema } from "effect"
import type * as Component from "../../src/Component.js"
import type * as PipelineConfig from "../../src/PipelineConfig.js"
import { PollPolicy, RateLimit } from "../../src/Policies.js"
import * as Registry from "../../src/Registry.js"
import { RetryPolicy } from "../../src/RetryPolicy.js"
import * as Sources from "../../src/Sources.js"
import { Transcriber } from "../../src/Transcriber.js"
import { TimestampGranularity } from "../../src/TranscribeRequest.js"

export class QwenConfig extends Schema.Class<QwenConfig>("FakeQwenConfig")({
  type: Schema.Literal("qwen"),
  model: Schema.optionalWith(Schema.String, { default: () => "auto" }),
  region: Schema.optionalWith(Schema.Literal("cn-beijing", "ap-southeast-1", "us-east-1"), {
    default: () => "cn-beijing"
  }),
  language_hints: Schema.optional(Schema.Array(Schema.String)),
  context: Schema.optional(Schema.String),
  enable_itn: Schema.optional(Schema.Boolean),
  timestamp_granularities: Schema.optional(Schema.Array(TimestampGranularity)),
  rate_limit: Schema.optional(RateLimit),
  poll: Schema.optional(PollPolicy),
  retry: Schema.optional(RetryPolicy)
}) {}

export const qwen: Component.ProviderComponent<QwenConfig, never> = {
  kind: "provider",
  type: "qwen",
  description: "fake qwen",
  config: QwenConfig,
  outputFolder: "fake-qwen",
  credentials: {
    sources: ["nowhere"],
    resolve: () => Effect.succeed({ key: Redacted.make("fake-key-123"), source: "nowhere" })
  },
  check: () => [],
  fromRequest: (request) => ({ type: "qwen", ...request }),
  doctor: () => Effect.succeed({ ok: true, exitCode: 0, facts: [], message: "fake" }),
  layer: () =>
    Layer.succeed(Transcriber, {
      provider: "fake",
      transcribe: () => Effect.die("not used"),
      plan: () => ({ route: "fake", model: "fake", warnings: [] }),
      requestKey: () => ""
    })
}

const sink = <T extends string, F extends Schema.Struct.Fields>(type: T, fields: F) => {
  const config = Schema.Struct({ type: Schema.Literal(type), ...fields })
  const component: Component.SinkComponent<{ readonly type: T }, never> = {
    kind: "sink",
    type,
    description: `fake ${type}`,
    config: config as any,
    make: () => Effect.succeed({ name: type, write: () => Effect.void })
  }
  return component
}

export const sinks = Registry.make(
  sink("text", {}),
  sink("json", {}),
  sink("srt", { max_line_chars: Schema.optional(Schema.Int) }),
  sink("jsonl", { path: Schema.String })
)

export const registries: PipelineConfig.Registries = {
  sources: Sources.registry,
  providers: Registry.make(qwen),
  sinks
}
