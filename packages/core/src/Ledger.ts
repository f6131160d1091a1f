/**
 * The run ledger: what was done, what was uploaded, and which async task belongs to which item, so
 * that a re-run skips finished items and re-attaches to paid tasks instead of submitting again.
 *
 * The SQL is plain enough to run on SQLite (the embedded default) and Postgres.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Option, Schema } from "effect"

/**
 * @since 0.1.0
 * @category models
 */
export const Status = Schema.Literal("planned", "uploaded", "submitting", "submitted", "done", "failed")

/**
 * @since 0.1.0
 * @category models
 */
export type Status = typeof Status.Type

/**
 * One row of the ledger, keyed by the item's fingerprint (audio sha256 or URL, plus the request hash).
 *
 * @since 0.1.0
 * @category models
 */
export class Entry extends Schema.Class<Entry>("LedgerEntry")({
  fingerprint: Schema.String,
  item_id: Schema.String,
  model: Schema.NullOr(Schema.String),
  status: Status,
  file_url: Schema.NullOr(Schema.String),
  file_url_expires_at: Schema.NullOr(Schema.Number),
  task_id: Schema.NullOr(Schema.String),
  submit_started_at: Schema.NullOr(Schema.Number),
  submitted_at: Schema.NullOr(Schema.Number),
  attempts: Schema.Number,
  error: Schema.NullOr(Schema.String),
  updated_at: Schema.Number
}) {}

/**
 * @since 0.1.0
 * @category context
 */
export class Ledger extends Context.Tag("@asrflow/core/Ledger")<Ledger, Ledger.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace Ledger {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly get: (fingerprint: string) => Effect.Effect<Option.Option<Entry>>
    readonly isDone: (fingerprint: string) => Effect.Effect<boolean>
    readonly markDone: (fingerprint: string, itemId: string) => Effect.Effect<void>
    readonly markFailed: (fingerprint: string, itemId: string, error: string) => Effect.Effect<void>
    /** A staged upload (`oss://…`) and when it stops being usable (epoch ms). */
    readonly recordUpload: (
      fingerprint: string,
      fields: { readonly itemId: string; readonly model: string; readonly fileUrl: string; readonly expiresAt: number }
    ) => Effect.Effect<void>
    /** Written before a submit is sent: if the process dies now, a re-run knows to look for the task. */
    readonly recordSubmitIntent: (
      fingerprint: string,
      fields: { readonly itemId: string; readonly model: string; readonly fileUrl: string }
    ) => Effect.Effect<void>
    /** Written as soon as the task id is known, before the first poll. */
    readonly recordTask: (fingerprint: string, taskId: string) => Effect.Effect<void>
    /** Tasks submitted and not yet done or failed, for `asrflow cancel` and resumption. */
    readonly openTasks: Effect.Effect<ReadonlyArray<Entry>>
  }
}

const decodeEntry = Schema.decodeUnknownSync(Entry)

/**
 * A ledger on whatever `SqlClient` the edge provides. Storage failures are defects: a run that
 * cannot record a paid task must not go on as if it had.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS asrflow_ledger (
    fingerprint TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    model TEXT,
    status TEXT NOT NULL,
    file_url TEXT,
    file_url_expires_at BIGINT,
    task_id TEXT,
    submit_started_at BIGINT,
    submitted_at BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    updated_at BIGINT NOT NULL
  )`
  const now = () => Date.now()

  const upsert = (fingerprint: string, itemId: string, fields: Record<string, string | number | null>) => {
    const row = { fingerprint, item_id: itemId, updated_at: now(), ...fields }
    const updates = Object.keys(row).filter((key) => key !== "fingerprint")
    return sql`INSERT INTO asrflow_ledger ${sql.insert(row)}
      ON CONFLICT (fingerprint) DO UPDATE SET ${sql.update(row, ["fingerprint"])}`.pipe(
      Effect.asVoid,
      Effect.orDie,
      Effect.withSpan("Ledger.upsert", { attributes: { fingerprint, fields: updates.join(",") } })
    )
  }

  const get = (fingerprint: string) =>
    sql`SELECT * FROM asrflow_ledger WHERE fingerprint = ${fingerprint}`.pipe(
      Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), decodeEntry)),
      Effect.orDie
    )

  return Ledger.of({
    get,
    isDone: (fingerprint) => Effect.map(get(fingerprint), Option.exists((entry) => entry.status === "done")),
    markDone: (fingerprint, itemId) => upsert(fingerprint, itemId, { status: "done", error: null }),
    markFailed: (fingerprint, itemId, error) => upsert(fingerprint, itemId, { status: "failed", error }),
    recordUpload: (fingerprint, { expiresAt, fileUrl, itemId, model }) =>
      upsert(fingerprint, itemId, { status: "uploaded", model, file_url: fileUrl, file_url_expires_at: expiresAt }),
    recordSubmitIntent: (fingerprint, { fileUrl, itemId, model }) =>
      Effect.flatMap(get(fingerprint), (existing) =>
        upsert(fingerprint, itemId, {
          status: "submitting",
          model,
          file_url: fileUrl,
          task_id: null,
          submit_started_at: now(),
          attempts: Option.match(existing, { onNone: () => 1, onSome: (entry) => entry.attempts + 1 })
        })),
    recordTask: (fingerprint, taskId) =>
      sql`UPDATE asrflow_ledger SET status = 'submitted', task_id = ${taskId}, submitted_at = ${now()}, updated_at = ${now()}
        WHERE fingerprint = ${fingerprint}`.pipe(Effect.asVoid, Effect.orDie),
    openTasks: sql`SELECT * FROM asrflow_ledger WHERE status IN ('submitting', 'submitted') ORDER BY updated_at`.pipe(
      Effect.map((rows) => rows.map((row) => decodeEntry(row))),
      Effect.orDie
    )
  })
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Ledger, never, SqlClient.SqlClient> = Layer.effect(Ledger, Effect.orDie(make))
