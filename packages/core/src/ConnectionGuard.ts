/**
 * Stops a batch whose service has gone away: when `limit` different items in a row fail because no
 * connection could be made (after each item's own retries; an item tried again in a later round counts
 * once), the last failure becomes a fatal `Unreachable` error,
 * so the runner stops the run with one message (exit code 3) instead of failing every remaining item
 * the same way. Any answer from the service, or any other failure, starts the count again.
 *
 * @since 0.2.0
 */
import { Effect, Ref } from "effect"
import { Transcriber, TranscriptionError } from "./Transcriber.js"

/**
 * How many items in a row may fail to connect before the run stops.
 *
 * @since 0.2.0
 * @category models
 */
export const defaultLimit = 5

/**
 * The transcriber with the guard around `transcribe`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  transcriber: Transcriber.Service,
  limit = defaultLimit
): Effect.Effect<Transcriber.Service> =>
  Effect.map(Ref.make<ReadonlySet<string>>(new Set()), (failures) =>
    Transcriber.of({
      ...transcriber,
      transcribe: (item) =>
        transcriber.transcribe(item).pipe(
          Effect.tapBoth({
            onSuccess: () => Ref.set(failures, new Set()),
            onFailure: (error) =>
              error.reason !== "Transport"
                ? Ref.set(failures, new Set())
                : Ref.updateAndGet(failures, (items) => new Set(items).add(item.id)).pipe(
                  Effect.flatMap(({ size: count }) =>
                    count < limit ? Effect.void : Effect.fail(
                      new TranscriptionError({
                        provider: error.provider,
                        input: error.input,
                        reason: "Unreachable",
                        description: `${count} items in a row could not reach the service (last: ${
                          error.description ?? error.reason
                        }); check the network, a proxy and the base URL or region, then run again: finished items are kept`
                      })
                    )
                  )
                )
          })
        )
    }))
