/**
 * A remote job's end when it was delivered: a job whose items are all done is no longer open (nothing to
 * cancel or re-attach). The status is derived from the items, so it is written after them, in a statement of
 * its own (docs/ARCHITECTURE.md, "The ledger").
 *
 * @since 0.3.0
 */
import type { SqlClient } from "@effect/sql"
import { Clock, Effect } from "effect"

/** A job's every item is done (a condition on `asrflow_jobs`). */
const allDone = (sql: SqlClient.SqlClient) =>
  sql`NOT EXISTS (
    SELECT 1 FROM asrflow_job_items owned JOIN asrflow_items i ON i.fingerprint = owned.fingerprint
    WHERE owned.job_id = asrflow_jobs.job_id AND i.status <> 'done'
  )`

/**
 * Ends the open jobs of one item (`fingerprint`) whose items are all done, or every such job (none given).
 * `markDone` ends its item's jobs after writing the item, not in the same transaction (a transaction per item
 * was the largest part of a run's ledger work, issue 18); a crash between the two leaves a delivered job open,
 * which the ledger ends for all jobs when it opens.
 *
 * @since 0.3.0
 * @category constructors
 */
export const endDelivered = (sql: SqlClient.SqlClient, fingerprint?: string | undefined): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (at) =>
    fingerprint === undefined
      ? sql`UPDATE asrflow_jobs SET status = 'done', updated_at = ${at}
            WHERE status IN ('submitting', 'submitted') AND ${allDone(sql)}`
      : sql`UPDATE asrflow_jobs SET status = 'done', updated_at = ${at}
            WHERE status IN ('submitting', 'submitted')
              AND job_id IN (SELECT job_id FROM asrflow_job_items WHERE fingerprint = ${fingerprint})
              AND ${allDone(sql)}`).pipe(Effect.asVoid, Effect.orDie)
