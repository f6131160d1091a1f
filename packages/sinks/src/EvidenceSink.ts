/**
 * The `evidence` sink: `responses/<output key>.json` keeps every raw API response of an item (submit,
 * final poll, result document, or the error body of a failure), redacted, so that any result can be
 * checked against what the API really said.
 *
 * @since 0.1.0
 */
import type { SinkComponent } from "@asrflow/core/Component"
import type { RunContext } from "@asrflow/core/RunContext"
import { SinkError } from "@asrflow/core/Sink"
import type { Evidence, TranscriptResult } from "@asrflow/core/Transcript"
import type { FileSystem, Path } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import * as ItemSink from "./ItemSink.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export class Config extends Schema.Class<Config>("EvidenceSinkConfig")({
  type: Schema.Literal("evidence"),
  dir: Schema.optionalWith(Schema.NonEmptyString, { default: () => "responses" }).annotations({
    description: "Directory for the evidence files, relative to the output root.",
    examples: ["responses"]
  })
}, {
  description:
    "Writes <dir>/<output key>.json: every raw API response for the item, with secrets and URL signatures redacted. A failed item gets one when the API answered at all."
}) {}

const responses = (evidence: ReadonlyArray<Evidence>) =>
  evidence.map((entry) => ({ phase: entry.phase, at: entry.at, body: entry.body }))

/**
 * The evidence document of a result, or none for a failure that never reached the API.
 *
 * @since 0.1.0
 * @category utils
 */
export const document = (result: TranscriptResult): Option.Option<Record<string, unknown>> => {
  if (result._tag === "Transcribed") {
    const { item, transcript } = result
    return Option.some({
      audio: item.source,
      output_key: item.outputKey,
      status: transcript.status,
      model: transcript.model,
      provider: transcript.provider,
      task_id: transcript.taskId ?? null,
      request_id: transcript.requestId ?? null,
      responses: transcript.evidence.length > 0
        ? responses(transcript.evidence)
        : [{ phase: "final", at: null, body: transcript.raw ?? null }]
    })
  }
  if (result.evidence.length === 0 && result.taskId === undefined && result.requestId === undefined) {
    return Option.none()
  }
  return Option.some({
    audio: result.item.source,
    output_key: result.item.outputKey,
    status: "FAILED",
    phase: result.phase,
    reason: result.reason,
    message: result.message,
    task_id: result.taskId ?? null,
    request_id: result.requestId ?? null,
    responses: responses(result.evidence)
  })
}

/**
 * @since 0.1.0
 * @category components
 */
export const component: SinkComponent<Config, FileSystem.FileSystem | Path.Path | RunContext> = {
  kind: "sink",
  type: "evidence",
  description: "The raw API responses of each item (submit, poll, result document, error body), redacted.",
  config: Config,
  make: (config) =>
    ItemSink.make({
      name: "evidence",
      dir: config.dir,
      ext: ".json",
      writes: (result) => Option.isSome(document(result)),
      render: (result, redactor) =>
        Option.match(document(result), {
          onNone: () => Effect.succeedNone,
          onSome: (doc) =>
            Effect.try({
              try: () => Option.some(`${JSON.stringify(redactor.value(doc), null, 2)}\n`),
              catch: (cause) => new SinkError({ sink: "evidence", reason: "Encode", description: String(cause), cause })
            })
        })
    })
}
