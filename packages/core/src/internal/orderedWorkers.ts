/**
 * Maps an array with a fixed number of workers, keeping its order: a few fibers for the whole array
 * instead of one per element (forking a fiber costs more than a small element's work).
 *
 * @internal
 */
import { Effect } from "effect"

export const mapInOrder = <A, B, R>(
  elements: ReadonlyArray<A>,
  workers: number,
  f: (element: A) => Effect.Effect<B, never, R>
): Effect.Effect<Array<B>, never, R> =>
  Effect.suspend(() => {
    const out = new Array<B>(elements.length)
    let next = 0
    // each worker takes the next element until none is left
    const worker: Effect.Effect<void, never, R> = Effect.suspend(() => {
      const index = next++
      return index >= elements.length ? Effect.void : Effect.flatMap(f(elements[index]!), (result) => {
        out[index] = result
        return worker
      })
    })
    return Effect.as(
      Effect.all(Array.from({ length: Math.min(workers, elements.length) }, () => worker), {
        concurrency: "unbounded",
        discard: true
      }),
      out
    )
  })
