import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as Ledger from "../src/Ledger.js"

const ledgerAt = (filename: string) => Ledger.layer.pipe(Layer.provide(SqliteClient.layer({ filename })))

describe("Ledger", () => {
  it.scoped("keeps done marks, uploads, submit intents and task ids across reopenings of the file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const file = path.join(yield* fs.makeTempDirectoryScoped(), "ledger.sqlite")

      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        yield* ledger.recordUpload("fp-a", { itemId: "a.wav", model: "m", fileUrl: "oss://k/a.wav", expiresAt: 123 })
        yield* ledger.recordSubmitIntent("fp-a", { itemId: "a.wav", model: "m", fileUrl: "oss://k/a.wav" })
        yield* ledger.recordSubmitIntent("fp-b", { itemId: "b.wav", model: "m", fileUrl: "http://x/b.wav" })
        yield* ledger.recordTask("fp-b", "task-b")
        yield* ledger.markDone("fp-c", "c.wav")
      }).pipe(Effect.provide(ledgerAt(file)))

      yield* Effect.gen(function*() {
        const ledger = yield* Ledger.Ledger
        const a = Option.getOrThrow(yield* ledger.get("fp-a"))
        assert.strictEqual(a.status, "submitting")
        assert.strictEqual(a.file_url, "oss://k/a.wav")
        assert.strictEqual(a.file_url_expires_at, 123)
        assert.strictEqual(a.attempts, 1)
        assert.strictEqual(a.task_id, null)
        const b = Option.getOrThrow(yield* ledger.get("fp-b"))
        assert.strictEqual(b.status, "submitted")
        assert.strictEqual(b.task_id, "task-b")
        assert.isTrue(yield* ledger.isDone("fp-c"))
        assert.isFalse(yield* ledger.isDone("fp-a"))
        assert.isTrue(Option.isNone(yield* ledger.get("fp-unknown")))
        assert.deepStrictEqual((yield* ledger.openTasks).map((entry) => entry.fingerprint).sort(), ["fp-a", "fp-b"])
      }).pipe(Effect.provide(ledgerAt(file)))
    }).pipe(Effect.provide(NodeContext.layer)))
})
