import { assert, describe, it } from "@effect/vitest"
import * as FunAsrConfig from "../src/FunAsrConfig.js"
import * as FunAsrModels from "../src/FunAsrModels.js"
import * as FunAsrProvider from "../src/FunAsrProvider.js"
import * as FunAsrRequest from "../src/FunAsrRequest.js"
import * as QwenConfig from "../src/QwenConfig.js"
import * as QwenProvider from "../src/QwenProvider.js"

const config = (fields: Record<string, unknown> = {}) => FunAsrConfig.decode({ type: "funasr", ...fields })

describe("the funasr capability table", () => {
  it("routes dated snapshots like their family, and names the families for an unknown model", () => {
    assert.strictEqual(FunAsrModels.lookup("fun-asr-2025-11-07")?.family, "fun-asr")
    assert.strictEqual(FunAsrModels.lookup("fun-asr-mtl-2025-08-25")?.family, "fun-asr-mtl")
    assert.strictEqual(FunAsrModels.lookup("paraformer-8k-v2")?.family, "paraformer-8k-v2")
    assert.strictEqual(FunAsrModels.lookup("paraformer-v2")?.requestsPerMinute, 1200)
    assert.throws(() => config({ model: "qwen3-asr-flash" }), /the funasr provider serves fun-asr-mtl\*, fun-asr\*/)
  })

  it("sends only the parameters the model honours", () => {
    const request = (fields: Record<string, unknown>) => FunAsrRequest.effectiveRequest(config(fields), {})
    assert.deepStrictEqual(
      FunAsrRequest.parametersOf(request({
        model: "paraformer-v2",
        language_hints: ["zh", "en"],
        vocabulary_id: "vocab-demo-1",
        diarization_enabled: true,
        speaker_count: 2,
        disfluency_removal_enabled: true,
        timestamp_alignment_enabled: false,
        special_word_filter: "{\"filter_with_signed\":{\"word_list\":[\"x\"]}}",
        channel_id: [0],
        enable_itn: true,
        context: "ignored"
      })),
      {
        language_hints: ["zh", "en"],
        vocabulary_id: "vocab-demo-1",
        diarization_enabled: true,
        speaker_count: 2,
        disfluency_removal_enabled: true,
        timestamp_alignment_enabled: false,
        special_word_filter: "{\"filter_with_signed\":{\"word_list\":[\"x\"]}}",
        channel_id: [0]
      }
    )
    assert.deepStrictEqual(FunAsrRequest.parametersOf(request({ model: "fun-asr", language_hints: ["ja", "en"] })), {
      language_hints: ["ja"]
    })
    assert.deepStrictEqual(
      FunAsrRequest.parametersOf(request({ model: "paraformer-8k-v2", language_hints: ["zh"], speaker_count: 3 })),
      {}
    )
  })
})

describe("validate warnings across the two DashScope families", () => {
  it("a Qwen-only field on a Fun-ASR model warns with the field and the model, and is not sent", () => {
    const funasr = config({ model: "paraformer-v2", enable_itn: true, context: "Glossary" })
    assert.deepStrictEqual(FunAsrProvider.check(funasr), [
      "context is a Qwen option that paraformer-v2 cannot honour; it is not sent (use vocabulary_id for hotwords)",
      "enable_itn is a Qwen option that paraformer-v2 cannot honour (it always normalises); it is not sent"
    ])
    const parameters = FunAsrRequest.parametersOf(FunAsrRequest.effectiveRequest(funasr, {}))
    assert.deepStrictEqual(parameters, {})
  })

  it("a Fun-ASR-only field on a Qwen model warns with the field and the model", () => {
    const qwen = QwenConfig.decode({
      type: "qwen",
      model: "qwen3-asr-flash-filetrans",
      diarization_enabled: true,
      speaker_count: 2
    })
    const warnings = QwenProvider.component.check(qwen)
    assert.include(
      warnings,
      "diarization_enabled is a Fun-ASR/Paraformer option that qwen3-asr-flash-filetrans cannot honour; it is not " +
        "sent (use type: funasr)"
    )
    assert.include(
      warnings,
      "speaker_count is a Fun-ASR/Paraformer option that qwen3-asr-flash-filetrans cannot honour; it is not sent " +
        "(use type: funasr)"
    )
  })

  it("warns about a model outside its regions and a language hint paraformer-8k-v2 cannot take", () => {
    assert.deepStrictEqual(
      FunAsrProvider.check(config({ model: "paraformer-8k-v2", region: "ap-southeast-1", language_hints: ["zh"] })),
      [
        "language_hints is not a paraformer-8k-v2 parameter (it recognises one language); it is not sent",
        "paraformer-8k-v2 is listed for cn-beijing, not ap-southeast-1"
      ]
    )
  })

  it("maps a one-shot request onto the config, Qwen fields included so that check warns about them", () => {
    const raw = FunAsrProvider.fromRequest({ model: "paraformer-v2", language_hints: ["en"], enable_itn: true })
    assert.deepStrictEqual(raw, { type: "funasr", model: "paraformer-v2", language_hints: ["en"], enable_itn: true })
    assert.strictEqual(FunAsrProvider.check(config(raw)).length, 1)
  })
})
