import { Command, FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Effect, Either, Layer, Schema } from "effect"
import { readdir } from "node:fs/promises"
import { DirectoryEntries } from "../src/DirectoryEntries.js"
import * as FilesSource from "../src/FilesSource.js"
import { RunContext } from "../src/RunContext.js"
import { collect, runContext, summarize } from "./utils/sources.js"

/**
 * A real tree:
 *
 *   base/audio/a.wav, b/x.wav, c/x.wav, c/x.mp3, drafts/d.wav, .hidden/h.wav, notes.txt
 *   base/audio/link-inside.wav -> b/x.wav          (followed: stays inside the root)
 *   base/audio/link-outside.wav -> ../outside/o.wav (not followed)
 *   base/audio/ext-dir -> ../outside                (not followed)
 *   base/audio/loop -> .                            (walked once)
 *   base/audio/broken.wav -> nowhere.wav            (broken)
 *   base/audio/fifo.wav                             (a FIFO: cannot be read as a file)
 *   base/outside/o.wav, base/single.mp3
 *
 * Tests run as root, for whom chmod 000 does not make a file unreadable; the broken symlink and the
 * FIFO stand in for unreadable files.
 */
const makeTree = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const base = yield* fs.realPath(yield* fs.makeTempDirectoryScoped({ prefix: "asrflow-files-" }))
  const write = (rel: string) =>
    Effect.gen(function*() {
      const file = path.join(base, rel)
      yield* fs.makeDirectory(path.dirname(file), { recursive: true })
      yield* fs.writeFileString(file, rel)
    })
  for (
    const rel of [
      "audio/a.wav",
      "audio/b/x.wav",
      "audio/c/x.wav",
      "audio/c/x.mp3",
      "audio/drafts/d.wav",
      "audio/.hidden/h.wav",
      "audio/notes.txt",
      "outside/o.wav",
      "single.mp3"
    ]
  ) yield* write(rel)
  const audio = path.join(base, "audio")
  yield* fs.symlink("b/x.wav", path.join(audio, "link-inside.wav"))
  yield* fs.symlink("../outside/o.wav", path.join(audio, "link-outside.wav"))
  yield* fs.symlink("../outside", path.join(audio, "ext-dir"))
  yield* fs.symlink(".", path.join(audio, "loop"))
  yield* fs.symlink("nowhere.wav", path.join(audio, "broken.wav"))
  const code = yield* Command.make("mkfifo", path.join(audio, "fifo.wav")).pipe(Command.exitCode)
  assert.strictEqual(code, 0)
  return base
})

const config = (include: ReadonlyArray<string>, exclude?: ReadonlyArray<string>) =>
  Schema.decodeUnknownSync(FilesSource.Config)({ type: "files", include, exclude })

// Node's readdir with file types, as the CLI gives it (cli/src/NodeDirectoryEntries.ts): the walk takes each
// entry's type from the listing and reads the type itself only for a link
const typedListing = Layer.succeed(DirectoryEntries, {
  list: (directory) =>
    Effect.promise(() => readdir(directory, { withFileTypes: true })).pipe(
      Effect.map((entries) =>
        entries.map((entry) => ({
          name: entry.name,
          type: entry.isFile()
            ? "File" as const
            : entry.isDirectory()
            ? "Directory" as const
            : entry.isSymbolicLink()
            ? "SymbolicLink" as const
            : entry.isFIFO()
            ? "FIFO" as const
            : "Unknown" as const
        }))
      )
    )
})

// every case twice: with types read per name (any FileSystem), and with a typed listing
for (
  const [listing, provided] of [
    ["types read per name", NodeContext.layer],
    ["a typed listing", Layer.merge(NodeContext.layer, typedListing)]
  ] as const
) {
  layer(provided)(`FilesSource (${listing})`, (it) => {
    it.scoped("walks a glob in sorted order, keys by path under the glob base, and guards symlinks", () =>
      Effect.gen(function*() {
        const base = yield* makeTree
        const entries = yield* collect(
          FilesSource.component.make(config(["audio/**/*.{wav,mp3}"], ["**/drafts/**"])),
          base
        )
        assert.deepStrictEqual(summarize(entries, base), [
          "a <- audio/a.wav",
          "b/x <- audio/b/x.wav",
          "! NotFound audio/broken.wav: broken symlink (points to nowhere.wav)",
          "c/x.mp3 <- audio/c/x.mp3",
          "c/x.wav <- audio/c/x.wav",
          `! Outside audio/ext-dir: symlink points outside audio (to ${base}/outside); it was not followed`,
          "! Unreadable audio/fifo.wav: not a regular file (FIFO)",
          "link-inside <- audio/link-inside.wav",
          `! Outside audio/link-outside.wav: symlink points outside audio (to ${base}/outside/o.wav); it was not followed`
        ])
        const first = entries[0]
        assert.isTrue(Either.isRight(first))
        if (Either.isRight(first)) {
          assert.strictEqual(first.right.id, `${base}/audio/a.wav`)
          assert.strictEqual(first.right.kind, "file")
          assert.strictEqual(first.right.origin, "files audio/**/*.{wav,mp3}")
        }
      }))

    it.scoped("recurses a directory for audio extensions, skipping hidden entries and other files", () =>
      Effect.gen(function*() {
        const base = yield* makeTree
        const entries = yield* collect(FilesSource.component.make(config(["audio"], ["audio/link-*"])), base)
        assert.deepStrictEqual(summarize(entries, base), [
          "a <- audio/a.wav",
          "b/x <- audio/b/x.wav",
          "! NotFound audio/broken.wav: broken symlink (points to nowhere.wav)",
          "c/x.mp3 <- audio/c/x.mp3",
          "c/x.wav <- audio/c/x.wav",
          "drafts/d <- audio/drafts/d.wav",
          `! Outside audio/ext-dir: symlink points outside audio (to ${base}/outside); it was not followed`,
          "! Unreadable audio/fifo.wav: not a regular file (FIFO)"
        ])
      }))

    it.scoped("takes plain files, reports missing paths, and lists a file matched twice once", () =>
      Effect.gen(function*() {
        const base = yield* makeTree
        const entries = yield* collect(
          FilesSource.component.make(
            config([
              "single.mp3",
              "missing.wav",
              "nothing/**/*.wav",
              "audio/b/*.wav",
              "audio/**/x.wav",
              `${base}/outside`
            ])
          ),
          base
        )
        assert.deepStrictEqual(summarize(entries, base), [
          "single <- single.mp3",
          `! NotFound missing.wav: \`missing.wav\` does not exist (relative paths start at ${base})`,
          "x <- audio/b/x.wav",
          "c/x <- audio/c/x.wav",
          `! Outside audio/ext-dir: symlink points outside audio (to ${base}/outside); it was not followed`,
          "o <- outside/o.wav"
        ])
      }))

    it.scoped("does not walk below the depth of a glob without **", () =>
      Effect.gen(function*() {
        const base = yield* makeTree
        const entries = yield* collect(FilesSource.component.make(config(["audio/*.wav"])), base)
        assert.deepStrictEqual(summarize(entries, base), [
          "a <- audio/a.wav",
          "! NotFound audio/broken.wav: broken symlink (points to nowhere.wav)",
          "! Unreadable audio/fifo.wav: not a regular file (FIFO)",
          "link-inside <- audio/link-inside.wav",
          `! Outside audio/link-outside.wav: symlink points outside audio (to ${base}/outside/o.wav); it was not followed`
        ])
      }))

    it.scoped("gives files with the same key distinct keys, deterministically", () =>
      Effect.gen(function*() {
        const base = yield* makeTree
        // both includes yield `x.wav`-like keys under different bases
        const entries = yield* collect(
          FilesSource.component.make(config(["audio/b/*.wav", "audio/c/*.{wav,mp3}"])),
          base
        )
        assert.deepStrictEqual(summarize(entries, base), [
          "x.wav <- audio/b/x.wav",
          "x.mp3 <- audio/c/x.mp3",
          "x.wav~2 <- audio/c/x.wav"
        ])
        // the same files with the patterns the other way round keep the same keys
        const reordered = yield* collect(
          FilesSource.component.make(config(["audio/c/*.{wav,mp3}", "audio/b/*.wav"])),
          base
        )
        assert.deepStrictEqual([...summarize(reordered, base)].sort(), [
          "x.mp3 <- audio/c/x.mp3",
          "x.wav <- audio/b/x.wav",
          "x.wav~2 <- audio/c/x.wav"
        ])
      }))

    it.scoped("gives files of the same name and extension under two patterns distinct keys", () =>
      Effect.gen(function*() {
        const base = yield* makeTree
        const entries = yield* collect(FilesSource.component.make(config(["audio/b/*.wav", "audio/c/*.wav"])), base)
        assert.deepStrictEqual(summarize(entries, base), ["x.wav <- audio/b/x.wav", "x.wav~2 <- audio/c/x.wav"])
      }))

    it.scoped("counts as many entries as it lists, a file found by two patterns once, without keeping them", () =>
      Effect.gen(function*() {
        const base = yield* makeTree
        const configs = [
          config(["audio/**/*.{wav,mp3}"], ["**/drafts/**"]),
          config(["audio"]),
          config([
            "single.mp3",
            "missing.wav",
            "nothing/**/*.wav",
            "audio/b/*.wav",
            "audio/**/x.wav",
            `${base}/outside`
          ]),
          config(["audio/b/*.wav", "audio/c/*.{wav,mp3}", "audio"])
        ]
        for (const source of configs) {
          const entries = yield* collect(FilesSource.component.make(source), base)
          const counted = yield* FilesSource.count(source).pipe(Effect.provideService(RunContext, runContext(base)))
          assert.strictEqual(counted, entries.length, source.include.join(", "))
        }
      }))
  })
}
