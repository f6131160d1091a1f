import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fingerprint from "../src/Fingerprint.js"
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

  it.effect("hashes the URL of a remote item", () =>
    Effect.gen(function*() {
      const remote = yield* Fingerprint.apply(
        item("x.wav", { kind: "url", id: "https://example.com/x.wav", source: "https://example.com/x.wav" }),
        "k"
      )
      assert.strictEqual(remote.sha256, Fingerprint.sha256OfText("https://example.com/x.wav"))
    }).pipe(Effect.provide(NodeContext.layer)))
})
