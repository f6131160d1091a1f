import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as OutputLayout from "../src/OutputLayout.js"
import * as TextSink from "../src/TextSink.js"
import * as fixtures from "./fixtures.js"
import { runSink, tempRoot } from "./utils.js"

const encoder = new TextEncoder()
const bytes = (text: string) => encoder.encode(text).length

const hostile = [
  "../../etc/passwd",
  "/abs/x",
  "a/../../b",
  "a\u0000b",
  "C:\\x",
  "x".repeat(1000),
  "a//b",
  "..",
  "./../..",
  "a/./b/../../../c",
  "\\\\server\\share\\f",
  "dir/" + "长".repeat(300),
  ("seg/".repeat(400)) + "end",
  "tab\there\nnewline",
  "会议/第一天/上午"
]

describe("OutputLayout.normalizeKey", () => {
  it("keeps ordinary keys, unicode included, as they are", () => {
    assert.strictEqual(OutputLayout.normalizeKey("a/b/x"), "a/b/x")
    assert.strictEqual(OutputLayout.normalizeKey("会议/第一天/上午"), "会议/第一天/上午")
    assert.strictEqual(OutputLayout.normalizeKey("media.example.com/en/meeting"), "media.example.com/en/meeting")
  })

  it("drops empty and '.' segments, which name the same path", () => {
    assert.strictEqual(OutputLayout.normalizeKey("a//b"), "a/b")
    assert.strictEqual(OutputLayout.normalizeKey("./a/./b/"), "a/b")
  })

  it("rejects keys that name nothing", () => {
    for (const key of ["", ".", "/", "./", "//"]) {
      assert.isUndefined(OutputLayout.normalizeKey(key), JSON.stringify(key))
    }
  })

  it("neutralizes '..', absolute paths, drive letters and control characters, with a suffix that keeps keys apart", () => {
    const passwd = OutputLayout.normalizeKey("../../etc/passwd")!
    assert.match(passwd, /^__\/__\/etc\/passwd~[0-9a-f]{8}$/)
    assert.match(OutputLayout.normalizeKey("/abs/x")!, /^abs\/x~[0-9a-f]{8}$/)
    assert.match(OutputLayout.normalizeKey("C:\\x")!, /^C\/x~[0-9a-f]{8}$/)
    assert.match(OutputLayout.normalizeKey("a\u0000b")!, /^a_b~[0-9a-f]{8}$/)
    // the literal key the neutralized one resembles stays distinct
    assert.notStrictEqual(OutputLayout.normalizeKey("a_b"), OutputLayout.normalizeKey("a\u0000b"))
    assert.notStrictEqual(OutputLayout.normalizeKey("abs/x"), OutputLayout.normalizeKey("/abs/x"))
    assert.notStrictEqual(OutputLayout.normalizeKey("__/__/etc/passwd"), passwd)
  })

  it("caps segments at 255 bytes (with the extension) and keys at 1024 bytes, on character boundaries", () => {
    for (const key of ["x".repeat(1000), "dir/" + "长".repeat(300), "seg/".repeat(400) + "end"]) {
      const normalized = OutputLayout.normalizeKey(key, ".json")!
      assert.isAtMost(bytes(normalized), OutputLayout.MAX_KEY_BYTES)
      for (const segment of normalized.split("/")) assert.isAtMost(bytes(segment + ".json"), 255)
      assert.notInclude(normalized, "\uFFFD")
      assert.match(normalized, /~[0-9a-f]{8}$/)
    }
    assert.notStrictEqual(
      OutputLayout.normalizeKey("x".repeat(1000) + "a"),
      OutputLayout.normalizeKey("x".repeat(1000) + "b"),
      "two long keys differing only past the cut stay apart"
    )
  })
})

layer(NodeContext.layer)("OutputLayout.resolveKey", (it) => {
  it.effect("resolves every hostile key to a path inside the sink directory", () =>
    Effect.gen(function*() {
      const path = yield* Path.Path
      const root = "/srv/out/aliyun-qwen-asr"
      for (const key of hostile) {
        const resolved = OutputLayout.resolveKey({
          path,
          sink: "text",
          outputRoot: root,
          dir: "transcripts",
          key,
          ext: ".txt"
        })
        if (Either.isLeft(resolved)) {
          assert.strictEqual(resolved.left.reason, "Path", key)
          continue
        }
        const file = resolved.right
        assert.isTrue(file.startsWith(`${root}/transcripts/`), `${JSON.stringify(key)} -> ${file}`)
        assert.isTrue(file.endsWith(".txt"))
        assert.notInclude(file, "\u0000")
        assert.notInclude(file.slice(root.length), "/../")
      }
      const empty = OutputLayout.resolveKey({
        path,
        sink: "text",
        outputRoot: root,
        dir: "transcripts",
        key: "..",
        ext: ".txt"
      })
      assert.isTrue(Either.isRight(empty), "'..' alone is neutralized, not rejected")
      const nothing = OutputLayout.resolveKey({
        path,
        sink: "text",
        outputRoot: root,
        dir: "transcripts",
        key: "",
        ext: ".txt"
      })
      assert.isTrue(Either.isLeft(nothing))
      if (Either.isLeft(nothing)) assert.include(nothing.left.message, "the output key is empty")
    }))

  it.scoped("writes real files for hostile keys only inside the output root, all distinct", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const results = hostile.map((key) => fixtures.withKey(fixtures.english, key))
      const outcomes = yield* runSink(TextSink.component, new TextSink.Config({ type: "text" }), dir, results)
      outcomes.forEach((outcome, index) => assert.isTrue(Either.isRight(outcome), hostile[index]))
      const everything = yield* fs.readDirectory(dir, { recursive: true })
      const files = everything.filter((entry) => entry.endsWith(".txt"))
      assert.strictEqual(files.length, hostile.length, "one file per key, no collisions")
      for (const file of files) assert.isTrue(file.startsWith("output/aliyun-qwen-asr/transcripts/"), file)
      assert.isFalse(yield* fs.exists(`${outputRoot}/../../etc`))
    }))
})
