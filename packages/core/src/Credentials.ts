/**
 * What every provider's credentials look like to the rest of asrflow: a key kept `Redacted` from the
 * moment it is read, the place it came from (shown by `doctor`, never the key), and one error for a key
 * that is missing or malformed. Each provider declares where it looks (its `Spec`); the edge resolves
 * the key once, teaches the run's redactor about it, and hands it to the provider's layer.
 *
 * @since 0.2.0
 */
import { Schema } from "effect"
import type { Effect, Redacted } from "effect"

/**
 * A key and where it was found (an environment variable, a credentials file, the explicit option).
 *
 * @since 0.2.0
 * @category models
 */
export interface Resolved {
  readonly key: Redacted.Redacted<string>
  readonly source: string
}

/**
 * No usable key: none in any of the places the provider looks (`Missing`), or one that cannot be sent
 * as it is, such as a key with a line break inside (`Malformed`). `description` says where asrflow
 * looked and what to do, in the provider's words.
 *
 * @since 0.2.0
 * @category errors
 */
export class CredentialsError extends Schema.TaggedError<CredentialsError>("@asrflow/core/CredentialsError")(
  "CredentialsError",
  {
    provider: Schema.String,
    reason: Schema.Literal("Missing", "Malformed"),
    description: Schema.String
  }
) {
  override get message(): string {
    return this.description
  }
}

/**
 * How a provider finds its key. `resolve` takes the explicit key of a library call first.
 *
 * @since 0.2.0
 * @category models
 */
export interface Spec<R = never> {
  /** The places looked at, in order, in the words the docs use (e.g. `OPENAI_API_KEY`). */
  readonly sources: ReadonlyArray<string>
  readonly resolve: (
    explicit?: Redacted.Redacted<string> | string | undefined
  ) => Effect.Effect<Resolved, CredentialsError, R>
}
