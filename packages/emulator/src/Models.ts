/**
 * The model matrix (docs/PROTOCOL.md, Models): which model goes to which endpoint.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export type Family = "flash" | "flash_us" | "filetrans" | "qwen_audio_asr" | "funasr" | "paraformer"

const SNAPSHOT = "(?:-\\d{4}-\\d{2}-\\d{2})"
const FLASH = new RegExp(`^qwen3-asr-flash${SNAPSHOT}?$`)
const FLASH_US = new RegExp(`^qwen3-asr-flash${SNAPSHOT}?-us$`)
const FILETRANS = new RegExp(`^qwen3-asr-flash-filetrans${SNAPSHOT}?$`)
const QWEN_AUDIO = new RegExp(`^qwen-audio-asr(?:-latest|${SNAPSHOT})?$`)
const FUNASR = new RegExp(`^fun-asr(?:-mtl)?${SNAPSHOT}?$`)
const PARAFORMER = /^paraformer-(?:8k-|mtl-)?v[12]$/

/**
 * Classifies a model id; `undefined` for models the emulator does not serve.
 *
 * @since 0.1.0
 * @category utils
 */
export const classify = (model: string): Family | undefined => {
  if (FILETRANS.test(model)) return "filetrans"
  if (FLASH_US.test(model)) return "flash_us"
  if (FLASH.test(model)) return "flash"
  if (QWEN_AUDIO.test(model)) return "qwen_audio_asr"
  if (FUNASR.test(model)) return "funasr"
  if (PARAFORMER.test(model)) return "paraformer"
  return undefined
}

/**
 * Whether a family takes batched `input.file_urls` on the task API (Fun-ASR, Paraformer: docs/PROTOCOL.md,
 * Fun-ASR and Paraformer on the task API).
 *
 * @since 0.2.0
 * @category utils
 */
export const isBatch = (family: Family | undefined): boolean => family === "funasr" || family === "paraformer"

/**
 * @since 0.1.0
 * @category utils
 */
export const isKnown = (model: string): boolean => classify(model) !== undefined

/**
 * Parameters that belong to Paraformer / Fun-ASR and are not documented for qwen3 (docs/PROTOCOL.md, Async tasks: Fun-ASR and Paraformer).
 *
 * @since 0.1.0
 * @category constants
 */
export const PARAFORMER_PARAMS: ReadonlySet<string> = new Set([
  "vocabulary_id",
  "vocabulary",
  "disfluency_removal_enabled",
  "language_hints",
  "timestamp_alignment_enabled",
  "diarization_enabled",
  "speaker_count",
  "special_word_filter",
  "speech_noise_threshold",
  "audio_event_detection_enabled",
  "phrase_id",
  "resources"
])
