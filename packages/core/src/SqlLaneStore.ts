/**
 * A `LaneStore` in the ledger's database (`asrflow_lane_states`): each step reads the lane's row under a
 * lock, applies the pure transition and writes it back in one transaction, so that every worker sharing
 * the database paces from the same state. N workers then start requests at the lane's rate together,
 * not N times it, and a throttling seen by one slows all (docs/ARCHITECTURE.md, Many machines).
 *
 * @since 0.2.0
 */
import { SqlClient } from "@effect/sql"
import { Clock, Effect, Layer, Option, Schema } from "effect"
import * as LedgerDialect from "./internal/ledgerDialect.js"
import { State } from "./LaneState.js"
import { LaneStore } from "./LaneStore.js"

const decodeState = Schema.decodeUnknownOption(Schema.parseJson(State))

/**
 * @since 0.2.0
 * @category constructors
 */
export const make: Effect.Effect<LaneStore.Service, never, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const read = (lane: string, lock: boolean) =>
    Effect.map(
      sql<{ readonly state: string }>`SELECT state FROM asrflow_lane_states WHERE lane = ${lane} ${
        lock ? LedgerDialect.forUpdate(sql) : sql.literal("")
      }`,
      (rows) => Option.flatMap(Option.fromNullable(rows[0]), (row) => decodeState(row.state))
    )
  return LaneStore.of({
    modify: (lane, init, f) =>
      Effect.gen(function*() {
        const at = yield* Clock.currentTimeMillis
        // the row exists before it is locked, so that two workers creating a lane lock the same row
        yield* sql`INSERT INTO asrflow_lane_states ${
          sql.insert({ lane, state: JSON.stringify(init()), updated_at: at })
        } ON CONFLICT (lane) DO NOTHING`
        const current = Option.getOrElse(yield* read(lane, true), init)
        const [result, next] = f(current)
        yield* sql`UPDATE asrflow_lane_states SET state = ${JSON.stringify(next)}, updated_at = ${at}
          WHERE lane = ${lane}`
        return result
      }).pipe(sql.withTransaction, Effect.orDie),
    get: (lane) => read(lane, false).pipe(Effect.orDie)
  })
})

/**
 * @since 0.2.0
 * @category layers
 */
export const layer: Layer.Layer<LaneStore, never, SqlClient.SqlClient> = Layer.effect(LaneStore, make)
