/**
 * The qwen provider's ledger migrations. asrflow 0.1 kept one `asrflow_ledger` table whose DashScope
 * columns only this provider understands; core imports its items, and this migration imports the rest
 * into the provider-neutral tables, in `TaskJournal`'s terms, so that a resumed run reuses valid uploads,
 * re-attaches to submitted tasks and looks for the task of an interrupted submit instead of paying twice:
 * - a row with an `oss://` file URL and an expiry becomes the item's `upload` stage;
 * - a `submitting` row becomes a job in `submitting` (the intent, dated by `submit_started_at`);
 * - a `submitted` row becomes a `submitted` job with the task id as its remote id.
 * Done and failed rows need nothing more. The old table stays as it was.
 *
 * @since 0.2.0
 */
import * as Ledger from "@asrflow/core/Ledger"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import * as TaskJournal from "./TaskJournal.js"

interface LegacyRow {
  readonly fingerprint: string
  readonly item_id: string
  readonly model: string | null
  readonly status: string
  readonly file_url: string | null
  readonly file_url_expires_at: number | bigint | string | null
  readonly task_id: string | null
  readonly submit_started_at: number | bigint | string | null
  readonly submitted_at: number | bigint | string | null
  readonly updated_at: number | bigint | string
}

const toNumber = (value: number | bigint | string | null): number | null => value === null ? null : Number(value)

const importLegacyRows = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  if (!(yield* Ledger.hasLegacyTable)) return
  const rows = yield* sql<LegacyRow>`SELECT * FROM asrflow_ledger`
  for (const row of rows) {
    const updatedAt = Number(row.updated_at)
    const expiresAt = toNumber(row.file_url_expires_at)
    if (row.model === null) continue
    if (row.file_url !== null && row.file_url.startsWith("oss://") && expiresAt !== null) {
      yield* sql`INSERT INTO asrflow_stages ${
        sql.insert({
          fingerprint: row.fingerprint,
          name: TaskJournal.uploadStage,
          item_id: row.item_id,
          state: JSON.stringify({ model: row.model, fileUrl: row.file_url } satisfies TaskJournal.FileState),
          expires_at: expiresAt,
          updated_at: updatedAt
        })
      } ON CONFLICT (fingerprint, name) DO NOTHING`
    }
    const submitting = row.status === "submitting" && row.file_url !== null && row.submit_started_at !== null
    const submitted = row.status === "submitted" && row.task_id !== null && row.submitted_at !== null
    if (!submitting && !submitted) continue
    // one job per row, named after it, so that the import can be read back and never doubles
    const jobId = `legacy-${row.fingerprint}`
    const submittedAt = submitted ? toNumber(row.submitted_at) : null
    yield* sql`INSERT INTO asrflow_jobs ${
      sql.insert({
        job_id: jobId,
        provider: TaskJournal.provider,
        status: submitted ? "submitted" : "submitting",
        remote_id: submitted ? row.task_id : null,
        state: JSON.stringify({ model: row.model, fileUrl: row.file_url ?? "" } satisfies TaskJournal.FileState),
        error: null,
        created_at: toNumber(row.submit_started_at) ?? submittedAt ?? updatedAt,
        submitted_at: submittedAt,
        updated_at: updatedAt
      })
    } ON CONFLICT (job_id) DO NOTHING`
    yield* sql`INSERT INTO asrflow_job_items ${
      sql.insert({ job_id: jobId, fingerprint: row.fingerprint, item_id: row.item_id })
    } ON CONFLICT (job_id, fingerprint) DO NOTHING`
  }
})

/**
 * The migrations the qwen provider owns (table `asrflow_migrations_qwen`).
 *
 * @since 0.2.0
 * @category migrations
 */
export const migrations: Ledger.Migrations = {
  owner: TaskJournal.provider,
  migrations: { "1_import_legacy_ledger": importLegacyRows }
}
