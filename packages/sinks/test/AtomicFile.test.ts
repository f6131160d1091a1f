import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Effect, Either, Fiber, Ref } from "effect"
import { writeFileAtomic } from "../src/AtomicFile.js"
import { tempRoot } from "./utils.js"

const SIZE = 4 * 1024 * 1024
const version = (fill: number) => new Uint8Array(SIZE).fill(fill)

/** Writes versions alternately while a concurrent fiber reads the target; returns what the reader saw. */
const raceReader = (write: (file: string, data: Uint8Array) => Effect.Effect<void, unknown, any>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const { dir } = yield* tempRoot
    const file = `${dir}/nested/target.bin`
    const done = yield* Ref.make(false)
    const seen = { missing: 0, whole: 0, partial: 0 }
    const reader = yield* Effect.gen(function*() {
      while (!(yield* Ref.get(done))) {
        const read = yield* Effect.either(fs.readFile(file))
        if (Either.isLeft(read)) {
          seen.missing += 1
        } else if (read.right.length === SIZE && read.right[0] === read.right[SIZE - 1]) {
          seen.whole += 1
        } else {
          seen.partial += 1
        }
      }
    }).pipe(Effect.fork)
    for (let round = 0; round < 24; round++) yield* write(file, version(round % 2 === 0 ? 0x61 : 0x62))
    yield* Ref.set(done, true)
    yield* Fiber.join(reader)
    return { dir, file, seen }
  })

layer(NodeContext.layer)("AtomicFile", (it) => {
  it.scoped("a reader never sees a partial file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, seen } = yield* raceReader((file, data) => writeFileAtomic("test", file, data))
      assert.strictEqual(seen.partial, 0, JSON.stringify(seen))
      assert.isAbove(seen.whole, 0, "the reader ran while the files were written")
      const left = yield* fs.readDirectory(`${dir}/nested`)
      assert.deepStrictEqual(left, ["target.bin"], "no temp file is left behind")
    }))

  it.scoped("fails with a SinkError naming the path when the directory cannot be made, and leaves no temp file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir } = yield* tempRoot
      yield* fs.writeFileString(`${dir}/blocker`, "a regular file where a directory should be")
      const error = yield* Effect.flip(writeFileAtomic("text", `${dir}/blocker/sub/x.txt`, "hello"))
      assert.strictEqual(error._tag, "SinkError")
      assert.strictEqual(error.reason, "Open")
      assert.strictEqual(error.path, `${dir}/blocker/sub/x.txt`)
      assert.include(error.message, `text sink could not open ${dir}/blocker/sub/x.txt`)
      assert.include(error.message, "cannot create the directory")
      assert.deepStrictEqual((yield* fs.readDirectory(dir)).sort(), ["blocker"])
    }))

  it.scoped("removes the temp file when the rename fails", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir } = yield* tempRoot
      // a directory in the way: the temp file is written, the rename onto a non-empty directory fails
      yield* fs.makeDirectory(`${dir}/out/x.txt/inside`, { recursive: true })
      const error = yield* Effect.flip(writeFileAtomic("text", `${dir}/out/x.txt`, "hello"))
      assert.strictEqual(error.reason, "Write")
      assert.deepStrictEqual(yield* fs.readDirectory(`${dir}/out`), ["x.txt"])
    }))
})
