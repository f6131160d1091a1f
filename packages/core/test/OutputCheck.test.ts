import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { SystemError } from "@effect/platform/Error"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as OutputCheck from "../src/OutputCheck.js"

const failure = (root: string, options?: Parameters<typeof OutputCheck.prepare>[1]) =>
  OutputCheck.prepare(root, options).pipe(Effect.flip)

describe("OutputCheck", () => {
  it.scoped("creates a missing root one directory at a time and leaves no probe file", () =>
    Effect.gen(function*() {
      const fsys = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const base = yield* fsys.makeTempDirectoryScoped()
      const root = path.join(base, "a", "b", "c")
      yield* OutputCheck.prepare(root)
      assert.deepStrictEqual(yield* fsys.readDirectory(root), [])
      // a second check of an existing root is fine too
      yield* OutputCheck.prepare(root)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("names the file that stands where a directory must be", () =>
    Effect.gen(function*() {
      const fsys = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const base = yield* fsys.makeTempDirectoryScoped()
      const file = path.join(base, "notes.txt")
      yield* fsys.writeFileString(file, "x")
      const below = yield* failure(path.join(file, "out"))
      assert.strictEqual(below.reason, "NotADirectory")
      assert.include(below.message, `${file} is a file, not a directory`)
      const itself = yield* failure(file, { create: false })
      assert.strictEqual(itself.reason, "NotADirectory")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect.skipIf(!fs.existsSync("/proc/self"))(
    "fails at once under /proc, where a recursive mkdir never ends",
    () =>
      Effect.gen(function*() {
        const error = yield* failure("/proc/asrflow-no-such/out")
        assert.strictEqual(error.reason, "NotCreatable")
        assert.include(error.message, "cannot create /proc/asrflow-no-such")
        assert.include(error.message, "--output-dir or OUTPUT_DIR")
      }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("a plan only checks that the root could be created, and creates nothing", () =>
    Effect.gen(function*() {
      const fsys = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const base = yield* fsys.makeTempDirectoryScoped()
      yield* OutputCheck.prepare(path.join(base, "later"), { create: false })
      assert.deepStrictEqual(yield* fsys.readDirectory(base), [])
    }).pipe(Effect.provide(NodeContext.layer)))

  // a full disk and a directory others own cannot be made on a test machine (and root writes anywhere):
  // a file system that answers as they do stands in
  const failingWrites = (code: string) =>
    Layer.merge(
      FileSystem.layerNoop({
        stat: () => Effect.succeed({ type: "Directory" } as FileSystem.File.Info),
        writeFileString: (path) =>
          Effect.fail(
            new SystemError({
              reason: code === "EACCES" ? "PermissionDenied" : "Unknown",
              module: "FileSystem",
              method: "writeFile",
              pathOrDescriptor: path,
              cause: Object.assign(new Error(code), { code })
            })
          )
      }),
      Path.layer
    )

  it.effect("names a full device and a directory it cannot write to", () =>
    Effect.gen(function*() {
      const full = yield* failure("/data/out").pipe(Effect.provide(failingWrites("ENOSPC")))
      assert.strictEqual(full.reason, "NoSpace")
      assert.include(full.message, "the output directory /data/out cannot be used: no space left on its device")
      const denied = yield* failure("/data/out").pipe(Effect.provide(failingWrites("EACCES")))
      assert.strictEqual(denied.reason, "NotWritable")
      assert.include(denied.message, "files cannot be written in it (permission denied)")
    }))
})
