/**
 * Output sinks: each receives every result, transcribed or failed.
 *
 * @since 0.1.0
 */
import { Context, Schema } from "effect"
import type { Effect } from "effect"
import type { AudioItem } from "./AudioItem.js"
import { Transcribed, Transcript } from "./Transcript.js"
import type { TranscriptResult } from "./Transcript.js"

/**
 * @since 0.1.0
 * @category errors
 */
export class SinkError extends Schema.TaggedError<SinkError>("@asrflow/core/SinkError")("SinkError", {
  sink: Schema.String,
  reason: Schema.Literal("Open", "Write", "Encode", "Path"),
  path: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `${this.sink} sink could not ${this.reason === "Path" ? "use the path" : this.reason.toLowerCase()}${
      this.path ? ` ${this.path}` : ""
    }${this.description ? `: ${this.description}` : ""}`
  }
}

/**
 * @since 0.1.0
 * @category context
 */
export class Sink extends Context.Tag("@asrflow/core/Sink")<Sink, Sink.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace Sink {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly name: string
    readonly write: (result: TranscriptResult) => Effect.Effect<void, SinkError>
    /**
     * Finishes what the sink writes across items (e.g. merges the JSONL file) once every result was
     * written. The runner calls it at the end of the run; a failure makes the run exit 1 and names the file.
     */
    readonly flush?: Effect.Effect<void, SinkError> | undefined
    /** Paths (relative to the output root) this sink writes for a result; used by `--dry-run`. */
    readonly outputsFor?: ((result: TranscriptResult) => ReadonlyArray<string>) | undefined
  }
}

const placeholder = new Transcript({ text: "", model: "", provider: "", status: "", raw: null })

/**
 * The files a successful transcription of the item would produce, relative to the output root. Built
 * without validation: the item is already valid, and a plan of 10,000 rows must stay fast.
 *
 * @since 0.3.0
 * @category utils
 */
export const outputsOf = (sinks: ReadonlyArray<Sink.Service>, item: AudioItem): ReadonlyArray<string> => {
  const result = new Transcribed({ item, transcript: placeholder }, true)
  return sinks.flatMap((sink) => sink.outputsFor?.(result) ?? [])
}
