import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as OutputCleanup from "../src/OutputCleanup.js"

describe("OutputCleanup", () => {
  it("names temporary files after their run and reads the run back", () => {
    const name = OutputCleanup.tempName("talk.txt", "20261126T134500Z-3f9a", "00ff00ff00ff")
    assert.strictEqual(name, ".talk.txt.20261126T134500Z-3f9a.00ff00ff00ff.tmp")
    assert.strictEqual(OutputCleanup.ownerOf(name), "20261126T134500Z-3f9a")
    assert.isUndefined(OutputCleanup.ownerOf("talk.txt"))
    // an older name without a run id has no owner
    assert.isUndefined(OutputCleanup.ownerOf(".talk.00ff00ff00ff.tmp"))
  })

  it.scoped("removes the temporary files no live run owns, anywhere under the root, and nothing else", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const root = yield* fs.makeTempDirectoryScoped()
      const files = [
        "transcripts/a/.x.txt.live-run.0a0a0a0a0a0a.tmp",
        "transcripts/a/.x.json.dead-run.0b0b0b0b0b0b.tmp",
        "responses/.y.json.0c0c0c0c0c0c.tmp",
        ".transcripts.jsonl.dead-run.0d0d0d0d0d0d.tmp",
        "transcripts/a/x.txt",
        "notes.tmp"
      ]
      for (const rel of files) {
        yield* fs.makeDirectory(path.dirname(path.join(root, rel)), { recursive: true })
        yield* fs.writeFileString(path.join(root, rel), "x")
      }
      const removed = yield* OutputCleanup.removeStale(root, (owner) => owner === "live-run")
      assert.deepStrictEqual([...removed].sort(), [
        ".transcripts.jsonl.dead-run.0d0d0d0d0d0d.tmp",
        "responses/.y.json.0c0c0c0c0c0c.tmp",
        "transcripts/a/.x.json.dead-run.0b0b0b0b0b0b.tmp"
      ])
      const left = (yield* fs.readDirectory(root, { recursive: true })).filter((rel) => rel.endsWith(".tmp")).sort()
      assert.deepStrictEqual(left, ["notes.tmp", "transcripts/a/.x.txt.live-run.0a0a0a0a0a0a.tmp"])
    }).pipe(Effect.provide(NodeContext.layer)))
})
