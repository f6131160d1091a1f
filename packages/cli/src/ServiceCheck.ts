/**
 * The check before a batch: the provider's one read-only call (its `doctor`) proves the key, the
 * endpoint and the connectivity before any item is read or sent. A rejected key, or an endpoint that
 * cannot be reached or does not exist, stops the run with one line and exit code 3, with no retries
 * per item; a transient answer (throttled, a server error) lets the run go ahead.
 *
 * @since 0.2.0
 */
import type { Component, Credentials } from "@asrflow/core"
import { Data, Effect } from "effect"

/**
 * @since 0.2.0
 * @category errors
 */
export class ServiceCheckError extends Data.TaggedError("ServiceCheckError")<{
  /** For the Promise API's `AsrflowError.reason`. */
  readonly reason: "ServiceCheck"
  readonly exitCode: number
  readonly message: string
}> {}

/**
 * Runs the provider's check; fails when it proves the run cannot work.
 *
 * @since 0.2.0
 * @category constructors
 */
export const run = <R>(
  provider: Component.ProviderComponent<Component.Typed, R>,
  config: Component.Typed,
  credentials: Credentials.Resolved
): Effect.Effect<void, ServiceCheckError, R> =>
  Effect.flatMap(provider.doctor(config, credentials), (report) =>
    report.ok || report.transient === true
      ? Effect.void
      : Effect.fail(
        new ServiceCheckError({
          reason: "ServiceCheck",
          exitCode: report.exitCode === 0 ? 3 : report.exitCode,
          message: `asrflow: ${report.message}`
        })
      ))
