/**
 * A first run's "is this item done?" without a statement per item (issue 18: a statement costs a run about
 * 0.1 ms of CPU, and a first run asks once per item).
 *
 * A ledger that had no item done and no run open when it opened knows how an item can be done since: this
 * process marked it, and a bit filter of fixed size remembers which (no false "no", about 1 % false "maybe" at
 * 100,000 items, more beyond, each then asked of the ledger); or another run marked it, and another run shows
 * in `asrflow_runs`, which is looked at every `othersCheckedEveryMs`. While neither, an item the filter has not
 * seen is not done. Once another run shows, or for a ledger that had anything done, every question is a
 * statement, as before.
 *
 * @since 0.3.0
 */
import type { SqlClient } from "@effect/sql"
import { Clock, Effect } from "effect"

/**
 * How often a first run looks for another run writing to the same ledger.
 *
 * @since 0.3.0
 * @category constants
 */
export const othersCheckedEveryMs = 5_000

// 2^20 bits (128 KiB), four positions per fingerprint
const words = 1 << 15
const positions = 4

/** FNV-1a over the fingerprint, one seed per position. */
const positionOf = (fingerprint: string, seed: number): number => {
  let hash = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < fingerprint.length; i++) {
    hash ^= fingerprint.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash & (words * 32 - 1)
}

/**
 * @since 0.3.0
 * @category models
 */
export interface FirstRun {
  /** Whether the item is done: `ask` (a statement) only when it may be. */
  readonly isDone: (fingerprint: string, ask: Effect.Effect<boolean>) => Effect.Effect<boolean>
  /** Called for every item this process marks done. */
  readonly marked: (fingerprint: string) => void
  /** This process began (`open`) or ended a run in the ledger: its own run is not another. */
  readonly ownRun: (runId: string, open: boolean) => void
}

/**
 * @since 0.3.0
 * @category constructors
 */
export const make = (sql: SqlClient.SqlClient): Effect.Effect<FirstRun> =>
  Effect.gen(function*() {
    // SQLite only: a PostgreSQL ledger is shared by workers as a rule, and its statements cost the server
    const fresh = sql.onDialectOrElse({
      sqlite: () =>
        sql<{ readonly done: number | string; readonly open: number | string }>`SELECT
          (SELECT COUNT(*) FROM (SELECT 1 FROM asrflow_items WHERE status = 'done' LIMIT 1) d) AS done,
          (SELECT COUNT(*) FROM asrflow_runs WHERE ended_at IS NULL) AS open`.pipe(
          Effect.map((rows) => Number(rows[0]?.done ?? 1) === 0 && Number(rows[0]?.open ?? 1) === 0),
          Effect.orDie
        ),
      orElse: () => Effect.succeed(false)
    })
    let alone = yield* fresh
    const own = new Set<string>()
    let checkedAt = yield* Clock.currentTimeMillis
    const seen = new Uint32Array(words)
    const has = (fingerprint: string) => {
      for (let seed = 0; seed < positions; seed++) {
        const at = positionOf(fingerprint, seed)
        if ((seen[at >>> 5]! & (1 << (at & 31))) === 0) return false
      }
      return true
    }
    // another run writing to this ledger ends the shortcut for good
    const othersOpen = sql<{ readonly open: number | string }>`SELECT COUNT(*) AS open FROM asrflow_runs
      WHERE ended_at IS NULL`.pipe(
      Effect.map((rows) => Number(rows[0]?.open ?? 0) > own.size),
      Effect.orDie
    )
    return {
      isDone: (fingerprint, ask) =>
        Effect.clockWith((clock) => {
          if (!alone) return ask
          const now = clock.unsafeCurrentTimeMillis()
          if (now - checkedAt < othersCheckedEveryMs) return has(fingerprint) ? ask : Effect.succeed(false)
          checkedAt = now
          return Effect.flatMap(othersOpen, (others) => {
            if (others) alone = false
            return alone && !has(fingerprint) ? Effect.succeed(false) : ask
          })
        }),
      marked: (fingerprint) => {
        for (let seed = 0; seed < positions; seed++) {
          const at = positionOf(fingerprint, seed)
          seen[at >>> 5] = seen[at >>> 5]! | (1 << (at & 31))
        }
      },
      ownRun: (runId, open) => {
        if (open) own.add(runId)
        else own.delete(runId)
      }
    }
  })
