/**
 * The `provider: {type: qwen}` block of a pipeline file.
 *
 * @since 0.1.0
 */
import * as Policies from "@asrflow/core/Policies"
import * as RetryPolicy from "@asrflow/core/RetryPolicy"
import { TimestampGranularity } from "@asrflow/core/TranscribeRequest"
import { Schema } from "effect"
import * as Models from "./Models.js"
import { Region } from "./Regions.js"

/**
 * A model id: `auto`, or any id whose prefix is in the capability table.
 *
 * @since 0.1.0
 * @category schemas
 */
const modelDescription = "The model id, matched by prefix so dated snapshots route like their family; `auto` picks " +
  "qwen3-asr-flash for audio within 5 min and 10 MB, qwen3-asr-flash-filetrans otherwise."

const modelExamples = [
  "qwen3-asr-flash",
  "qwen3-asr-flash-2026-02-10",
  "qwen-audio-asr",
  "qwen3-asr-flash-filetrans",
  "auto"
]

export const ModelId = Schema.String.pipe(
  Schema.filter((model) => {
    if (model === "auto") return true
    const resolved = Models.resolve(model)
    return resolved._tag === "Right" ? true : resolved.left
  }, {
    identifier: "ModelId",
    description: modelDescription,
    jsonSchema: { description: modelDescription, examples: modelExamples }
  })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export class BaseUrl extends Schema.Class<BaseUrl>("QwenBaseUrl")({
  native: Schema.optional(Schema.String.annotations({
    description: "The native base URL, ending in /api/v1. Overrides DASHSCOPE_HTTP_BASE_URL and the region preset."
  })),
  compatible: Schema.optional(Schema.String.annotations({
    description:
      "The OpenAI-compatible base URL, ending in /compatible-mode/v1. Overrides DASHSCOPE_COMPATIBLE_BASE_URL."
  }))
}, { description: "Explicit base URLs (a proxy, a workspace host or the local emulator)." }) {}

/**
 * @since 0.1.0
 * @category schemas
 */
export class QwenConfig extends Schema.Class<QwenConfig>("QwenConfig")({
  type: Schema.Literal("qwen"),
  model: Schema.optionalWith(ModelId, { default: () => "qwen3-asr-flash" }),
  region: Schema.optionalWith(Region, { default: () => "cn-beijing" as const }),
  workspace: Schema.optional(Schema.String.annotations({
    description: "A Model Studio workspace id, sent as X-DashScope-WorkSpace."
  })),
  base_url: Schema.optional(BaseUrl),
  protocol: Schema.optional(
    Schema.Literal("compatible", "native").annotations({
      description: "Sync protocol. Default: compatible where the model has it, otherwise native " +
        "(qwen-audio-asr and -us models are native only)."
    })
  ),
  stream: Schema.optional(Schema.Boolean.annotations({
    description: "Stream the sync answer (SSE). Default: on for audio longer than 60 s, to avoid gateway timeouts."
  })),
  async: Schema.optional(Schema.Boolean.annotations({
    description: "Force the async task workflow (needs a filetrans model, or model: auto)."
  })),
  language_hints: Schema.optional(
    Schema.Array(Schema.String).annotations({
      description: "Language codes. qwen3 takes exactly one language: one hint is sent as asr_options.language; " +
        "several are not sent (the model auto-detects) and give a warning.",
      examples: [["zh"], ["en"]]
    })
  ),
  context: Schema.optional(Schema.String.annotations({
    description: "Recognition context (terms, names, background), sent as the system message. qwen3-asr-flash only."
  })),
  enable_itn: Schema.optional(Schema.Boolean.annotations({
    description: "Inverse text normalization (spoken numbers become digits); zh and en only."
  })),
  timestamp_granularities: Schema.optional(
    Schema.Array(TimestampGranularity).annotations({
      description: "sentence and/or word timestamps. Only the filetrans models return timestamps; sync models warn."
    })
  ),
  vocabulary_id: Schema.optional(Schema.String.annotations({
    description: "A Paraformer/Fun-ASR hotword vocabulary. qwen3 cannot honour it: a warning, never sent."
  })),
  disfluency_removal_enabled: Schema.optional(Schema.Boolean.annotations({
    description: "A Paraformer/Fun-ASR option. qwen3 cannot honour it: a warning, never sent."
  })),
  sample_rate: Schema.optional(
    Schema.Int.pipe(Schema.positive()).annotations({
      description: "Not a qwen3 request field (the service resamples to 16 kHz): a warning, never sent."
    })
  ),
  channel_id: Schema.optional(
    Schema.Array(Schema.NonNegativeInt).annotations({
      description: "Audio tracks to transcribe (filetrans only; each is billed). Sync models average channels to mono."
    })
  ),
  timeout_secs: Schema.optionalWith(Schema.Positive, { default: () => 120 }).annotations({
    description: "Per-request timeout, in seconds."
  }),
  rate_limit: Schema.optionalWith(Policies.RateLimitBlock, { default: () => "auto" as const }),
  poll: Schema.optionalWith(Policies.PollPolicy, { default: () => Schema.decodeSync(Policies.PollPolicy)({}) }),
  retry: Schema.optionalWith(RetryPolicy.RetryPolicy, { default: () => RetryPolicy.defaults })
}, {
  description:
    "Alibaba Cloud Model Studio Qwen ASR: sync qwen3-asr-flash / qwen-audio-asr, async qwen3-asr-flash-filetrans."
}) {}

/**
 * Decodes a config object (unknown keys are errors), for tests and the library API.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decode = Schema.decodeUnknownSync(QwenConfig, { errors: "all", onExcessProperty: "error" })
