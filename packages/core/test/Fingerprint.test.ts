import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Fingerprint from "../src/Fingerprint.js"
import * as Ledger from "../src/Ledger.js"
import { item } from "./utils/Fakes.js"

describe("Fingerprint", () => {
  it.scoped("hashes the bytes, the request and the output key", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped()
      const a = path.join(dir, "a.wav")
      const b = path.join(dir, "b.wav")
      yield* fs.writeFileString(a, "same bytes")
      yield* fs.writeFileString(b, "same bytes")
      const of = (source: string, key: string, request: string) =>
        Effect.map(Fingerprint.apply(item(key, { id: source, source }), request), (probed) => probed.fingerprint!)

      const first = yield* of(a, "a.wav", "model=x")
      assert.strictEqual(first, yield* of(a, "a.wav", "model=x"))
      assert.strictEqual(first.split(".")[0], Fingerprint.sha256OfText("same bytes"))
      assert.notStrictEqual(first, yield* of(a, "a.wav", "model=y"), "a changed request transcribes again")
      assert.notStrictEqual(first, yield* of(b, "b.wav", "model=x"), "a copy under another name gets its own outputs")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("hashes the bytes the probe read instead of reading the file again", () =>
    Effect.gen(function*() {
      // the path does not exist: a read, a stat or a lookup would fail
      const missing = "/nonexistent/asrflow-fingerprint/a.wav"
      const hashed = yield* Fingerprint.apply(
        item("a", { id: missing, source: missing }),
        "k",
        undefined,
        new TextEncoder().encode("probed bytes")
      )
      assert.strictEqual(hashed.sha256, Fingerprint.sha256OfText("probed bytes"))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("hashes the URL of a remote item", () =>
    Effect.gen(function*() {
      const remote = yield* Fingerprint.apply(
        item("x.wav", { kind: "url", id: "https://example.com/x.wav", source: "https://example.com/x.wav" }),
        "k"
      )
      assert.strictEqual(remote.sha256, Fingerprint.sha256OfText("https://example.com/x.wav"))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("reuses the ledger's hash while size, mtime and inode are unchanged, across runs, and hashes a changed file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "asrflow-fingerprint-" })
      const audio = path.join(dir, "a.wav")
      const ledgerFile = path.join(dir, "ledger.sqlite")
      // each run opens the ledger file afresh, as a resumed process does
      const shaInRun = Effect.flatMap(
        Ledger.Ledger,
        (ledger) =>
          Effect.map(Fingerprint.apply(item("a", { id: audio, source: audio }), "k", ledger), (done) => done.sha256)
      ).pipe(
        Effect.provide(Ledger.layer().pipe(Layer.provide(SqliteClient.layer({ filename: ledgerFile }))))
      )
      const then = new Date("2026-01-02T03:04:05.678Z")
      yield* fs.writeFileString(audio, "first bytes")
      yield* fs.utimes(audio, then, then)
      assert.strictEqual(yield* shaInRun, Fingerprint.sha256OfText("first bytes"))

      // same size, same inode (rewritten in place), mtime put back: the remembered hash is used, so the
      // file was not read (a real edit always moves the mtime; this one hides itself to prove the point)
      yield* fs.writeFileString(audio, "other bytes")
      yield* fs.utimes(audio, then, then)
      assert.strictEqual(yield* shaInRun, Fingerprint.sha256OfText("first bytes"))

      // a new mtime: hashed again, and the new hash is what the next run reuses
      const later = new Date("2026-01-02T03:04:06.000Z")
      yield* fs.utimes(audio, later, later)
      assert.strictEqual(yield* shaInRun, Fingerprint.sha256OfText("other bytes"))
      // a new size: hashed again
      yield* fs.writeFileString(audio, "longer bytes than before")
      yield* fs.utimes(audio, later, later)
      assert.strictEqual(yield* shaInRun, Fingerprint.sha256OfText("longer bytes than before"))
      // a new inode (the file replaced by another of the same size and mtime): hashed again
      const replacement = path.join(dir, "b.wav")
      yield* fs.writeFileString(replacement, "longer bytes than after!")
      yield* fs.utimes(replacement, later, later)
      yield* fs.rename(replacement, audio)
      assert.strictEqual(yield* shaInRun, Fingerprint.sha256OfText("longer bytes than after!"))
    }).pipe(Effect.provide(NodeContext.layer)))
})
