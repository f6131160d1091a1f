/**
 * The `provider: {type: qwen}` block of a pipeline file.
 *
 * @since 0.1.0
 */
import * as SplitPolicy from "@asrflow/core/SplitPolicy"
import { SampleRate, TimestampGranularity } from "@asrflow/core/TranscribeRequest"
import { Schema } from "effect"
import * as DashScopeAccount from "./DashScopeAccount.js"
import * as Models from "./Models.js"

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
export { BaseUrl } from "./DashScopeAccount.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export class QwenConfig extends Schema.Class<QwenConfig>("QwenConfig")({
  type: Schema.Literal("qwen"),
  model: Schema.optionalWith(ModelId, { default: () => "qwen3-asr-flash" }),
  ...DashScopeAccount.connectionFields,
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
  long_audio: Schema.optional(
    Schema.Literal("split", "async", "auto").annotations({
      description: "Audio too long or too large for a sync model: split (local files are cut at pauses into " +
        "chunks of at most split.max_chunk_seconds, sent in parallel to the sync model and stitched with " +
        "timestamps), async (the filetrans model), or auto (the one expected to finish first, from the audio's " +
        "length, the rate limit and the latencies measured in earlier runs). Default: auto for model: auto; " +
        "a filetrans model stays async and a sync model rejects such audio unless this is set."
    })
  ),
  split: Schema.optionalWith(SplitPolicy.SplitPolicy, { default: () => SplitPolicy.defaults }),
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
    SampleRate.annotations({
      description: "Not a qwen3 request field (the service resamples to 16 kHz): a warning, never sent."
    })
  ),
  channel_id: Schema.optional(
    Schema.Array(Schema.NonNegativeInt).annotations({
      description: "Audio tracks to transcribe (filetrans only; each is billed). Sync models average channels to mono."
    })
  ),
  diarization_enabled: Schema.optional(Schema.Boolean.annotations({
    description: "A Fun-ASR/Paraformer option (speaker labels; use type: funasr). qwen3 cannot honour it: a warning, " +
      "never sent."
  })),
  speaker_count: Schema.optional(
    Schema.Int.pipe(Schema.between(2, 100)).annotations({
      description: "A Fun-ASR/Paraformer option. qwen3 cannot honour it: a warning, never sent."
    })
  ),
  timestamp_alignment_enabled: Schema.optional(Schema.Boolean.annotations({
    description: "A Fun-ASR/Paraformer option. qwen3 cannot honour it: a warning, never sent."
  })),
  special_word_filter: Schema.optional(Schema.String.annotations({
    description: "A Fun-ASR/Paraformer option. qwen3 cannot honour it: a warning, never sent."
  })),
  ...DashScopeAccount.policyFields
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
