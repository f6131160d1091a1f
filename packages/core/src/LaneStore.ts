/**
 * Where the rate controller keeps each lane's state (`LaneState`). The controller's logic is pure; the
 * store only has to apply it atomically. The default keeps lanes in this process's memory; a store that
 * keeps them in a SQL row (read, transform and write in one transaction) lets several workers share one
 * budget per lane.
 *
 * @since 0.2.0
 */
import { Context, Effect, Option } from "effect"
import type { State } from "./LaneState.js"

/**
 * @since 0.2.0
 * @category context
 */
export class LaneStore extends Context.Tag("@asrflow/core/LaneStore")<LaneStore, LaneStore.Service>() {}

/**
 * @since 0.2.0
 */
export declare namespace LaneStore {
  /**
   * @since 0.2.0
   * @category models
   */
  export interface Service {
    /**
     * Applies `f` to a lane's state (made by `init` when the lane is new) as one atomic step, and returns
     * what `f` returns. `f` is pure and may run again if a shared store retries its transaction.
     */
    readonly modify: <A>(
      lane: string,
      init: () => State,
      f: (state: State) => readonly [A, State]
    ) => Effect.Effect<A>
    readonly get: (lane: string) => Effect.Effect<Option.Option<State>>
  }
}

/**
 * A store in this process's memory. JavaScript runs `f` without interleaving, so each step is atomic.
 *
 * @since 0.2.0
 * @category constructors
 */
export const memory: Effect.Effect<LaneStore.Service> = Effect.sync(() => {
  const lanes = new Map<string, State>()
  return LaneStore.of({
    modify: (lane, init, f) =>
      Effect.sync(() => {
        const [result, next] = f(lanes.get(lane) ?? init())
        lanes.set(lane, next)
        return result
      }),
    get: (lane) => Effect.sync(() => Option.fromNullable(lanes.get(lane)))
  })
})
