/**
 * Audio sources produce the items of a run. A bad entry is a value, not a stream failure, so one
 * bad row never stops the batch.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { Either, Stream } from "effect"
import type { AudioItem } from "./AudioItem.js"

/**
 * @since 0.1.0
 * @category errors
 */
export class SourceError extends Schema.TaggedError<SourceError>("@asrflow/core/SourceError")("SourceError", {
  source: Schema.String,
  location: Schema.String,
  reason: Schema.Literal("NotFound", "Unreadable", "InvalidRow", "InvalidPath", "NotAudio", "Empty", "Outside"),
  description: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `${this.location}: ${this.description}`
  }
}

/**
 * What a source emits: an item, or the reason an entry could not become one.
 *
 * @since 0.1.0
 * @category models
 */
export type SourceEntry = Either.Either<AudioItem, SourceError>

/**
 * @since 0.1.0
 * @category models
 */
export type Entries<R = never> = Stream.Stream<SourceEntry, never, R>
