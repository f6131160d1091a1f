/**
 * One recording to transcribe, as produced by a source and enriched by the probe.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The audio containers asrflow can recognise from their first bytes.
 *
 * @since 0.1.0
 * @category models
 */
export const Container = Schema.Literal("wav", "mp3", "flac", "ogg", "opus", "m4a", "webm", "amr", "aac", "pcm")

/**
 * @since 0.1.0
 * @category models
 */
export type Container = typeof Container.Type

/**
 * Per-item request overrides, as given by a manifest row.
 *
 * @since 0.1.0
 * @category models
 */
export class ItemOverrides extends Schema.Class<ItemOverrides>("ItemOverrides")({
  model: Schema.optional(Schema.String),
  language_hints: Schema.optional(Schema.Array(Schema.String)),
  context: Schema.optional(Schema.String)
}) {}

/**
 * An audio item: a local file (absolute path), an http(s) URL or an `oss://` URL.
 *
 * `outputKey` is the item's relative output path without extension; sinks place their files under it.
 *
 * @since 0.1.0
 * @category models
 */
export class AudioItem extends Schema.Class<AudioItem>("AudioItem")({
  id: Schema.String,
  source: Schema.String,
  kind: Schema.Literal("file", "url"),
  outputKey: Schema.String,
  origin: Schema.String,
  sizeBytes: Schema.optional(Schema.Number),
  container: Schema.optional(Container),
  mime: Schema.optional(Schema.String),
  durationMs: Schema.optional(Schema.Number),
  /** sha256 of the bytes (local files) or of the URL, set before transcription. */
  sha256: Schema.optional(Schema.String),
  /** sha256 + a hash of the effective request: the item's ledger key. */
  fingerprint: Schema.optional(Schema.String),
  overrides: Schema.optional(ItemOverrides),
  metadata: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}) {
  /**
   * @since 0.1.0
   */
  get isLocal(): boolean {
    return this.kind === "file"
  }
}
