/**
 * The `provider: {type: funasr}` block of a pipeline file: DashScope's Fun-ASR and Paraformer file transcription
 * (speaker labels, hotword vocabularies), on the same account and key as `qwen`.
 *
 * @since 0.2.0
 */
import { TimestampGranularity } from "@asrflow/core/TranscribeRequest"
import { Schema } from "effect"
import * as DashScopeAccount from "./DashScopeAccount.js"
import * as FunAsrModels from "./FunAsrModels.js"

const modelDescription = "The model id, matched by prefix so dated snapshots route like their family: fun-asr, " +
  "fun-asr-mtl, paraformer-v2 (Beijing), paraformer-8k-v2 (Beijing, 8 kHz Chinese telephone audio)."

/**
 * A Fun-ASR/Paraformer model id.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ModelId = Schema.String.pipe(
  Schema.filter((model) => {
    const resolved = FunAsrModels.resolve(model)
    return resolved._tag === "Right" ? true : resolved.left
  }, {
    identifier: "FunAsrModelId",
    description: modelDescription,
    jsonSchema: {
      description: modelDescription,
      examples: ["fun-asr", "fun-asr-2025-11-07", "fun-asr-mtl", "paraformer-v2", "paraformer-8k-v2"]
    }
  })
)

/**
 * How items are grouped into submits.
 *
 * @since 0.2.0
 * @category schemas
 */
export class Batch extends Schema.Class<Batch>("FunAsrBatch")({
  max_files: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, FunAsrModels.maxFilesPerSubmit)), {
    default: () => FunAsrModels.maxFilesPerSubmit
  }).annotations({ description: "The most files one submit carries (the API takes up to 100)." }),
  linger_ms: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 600_000)), { default: () => 2000 }).annotations({
    description: "A batch that is not full is submitted once no new item joined it for this long."
  })
}, {
  description: "Items with the same request are grouped into one submit of up to max_files URLs. A batch fills only " +
    "as fast as items reach the provider: set the pipeline's concurrency to at least max_files (e.g. 100-256)."
}) {}

/**
 * @since 0.2.0
 * @category schemas
 */
export class FunAsrConfig extends Schema.Class<FunAsrConfig>("FunAsrConfig")({
  type: Schema.Literal("funasr"),
  model: Schema.optionalWith(ModelId, { default: () => "fun-asr" }),
  ...DashScopeAccount.connectionFields,
  language_hints: Schema.optional(
    Schema.Array(Schema.String).annotations({
      description: "Language codes (zh, en, ja, yue, ko, de, fr, ru, …). paraformer-v2 reads them all; fun-asr " +
        "reads the first only; paraformer-8k-v2 takes none.",
      examples: [["zh", "en"]]
    })
  ),
  vocabulary_id: Schema.optional(Schema.String.annotations({
    description: "A hotword vocabulary (vocab-…) created for this model with DashScope's customization API."
  })),
  diarization_enabled: Schema.optional(Schema.Boolean.annotations({
    description: "Speaker diarization (mono audio): each sentence gets a speaker, shown as [S1] in text and SRT, " +
      "<v Speaker 1> in WebVTT and speaker_id in JSON."
  })),
  speaker_count: Schema.optional(
    Schema.Int.pipe(Schema.between(2, 100)).annotations({
      description: "A hint of how many speakers there are (2-100); only with diarization_enabled."
    })
  ),
  disfluency_removal_enabled: Schema.optional(Schema.Boolean.annotations({
    description: "Remove filler words (um, uh)."
  })),
  timestamp_alignment_enabled: Schema.optional(Schema.Boolean.annotations({
    description: "Calibrate timestamps against the audio."
  })),
  special_word_filter: Schema.optional(Schema.String.annotations({
    description: "The sensitive-word filter, as the JSON text DashScope documents."
  })),
  channel_id: Schema.optional(
    Schema.Array(Schema.NonNegativeInt).annotations({
      description: "Audio tracks to transcribe (each is billed). Default: the first."
    })
  ),
  timestamp_granularities: Schema.optional(
    Schema.Array(TimestampGranularity).annotations({
      description: "These models always return sentence and word timestamps; without word, words are left out of the " +
        "transcript."
    })
  ),
  context: Schema.optional(Schema.String.annotations({
    description: "A Qwen option these models cannot honour (use vocabulary_id): a warning, never sent."
  })),
  enable_itn: Schema.optional(Schema.Boolean.annotations({
    description: "A Qwen option these models cannot honour (ITN is always on): a warning, never sent."
  })),
  sample_rate: Schema.optional(
    Schema.Int.pipe(Schema.positive()).annotations({
      description: "Not a request field (any sample rate is read): a warning, never sent."
    })
  ),
  batch: Schema.optionalWith(Batch, { default: () => Schema.decodeSync(Batch)({}) }),
  ...DashScopeAccount.policyFields
}, {
  description: "Alibaba Cloud Model Studio Fun-ASR and Paraformer file transcription: batched tasks, speaker " +
    "diarization, hotword vocabularies. Same account and key as qwen."
}) {}

/**
 * Decodes a config object (unknown keys are errors), for tests and the library API.
 *
 * @since 0.2.0
 * @category constructors
 */
export const decode = Schema.decodeUnknownSync(FunAsrConfig, { errors: "all", onExcessProperty: "error" })
