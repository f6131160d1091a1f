import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as TextSink from "../src/TextSink.js"
import * as fixtures from "./fixtures.js"
import { assertAllRight, assertGolden, runContext, runSink, tempRoot } from "./utils.js"
import * as Goldens from "./utils/goldens.js"

const config = new TextSink.Config({ type: "text" })

layer(NodeContext.layer)("TextSink", (it) => {
  for (const golden of Goldens.text) {
    const result = golden.result
    it.scoped(`writes the ${golden.name} golden`, () =>
      Effect.gen(function*() {
        const text = yield* assertGolden(golden)
        if (result === fixtures.meeting) return
        assert.strictEqual(text, result.transcript.text === "" ? "" : `${result.transcript.text}\n`)
      }))
  }

  it.scoped("writes a diarized transcript as one line per speaker turn, prefixed [S1], [S2]", () =>
    Effect.gen(function*() {
      const text = yield* assertGolden(Goldens.text.find((golden) => golden.name === "meeting")!)
      assert.deepStrictEqual(text.split("\n"), [
        "[S1] Good morning. Shall we start?",
        "[S2] Yes, I finished the report.",
        "[S1] Great, thanks.",
        ""
      ])
    }))

  it.scoped("keeps inputs with the same base name in different folders apart", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const a = fixtures.withKey(fixtures.english, "2024/a/x")
      const b = fixtures.withKey(fixtures.chinese, "2024/b/x")
      assertAllRight(yield* runSink(TextSink.component, config, dir, [a, b]))
      assert.strictEqual(
        yield* fs.readFileString(`${outputRoot}/transcripts/2024/a/x.txt`),
        `${fixtures.english.transcript.text}\n`
      )
      assert.strictEqual(
        yield* fs.readFileString(`${outputRoot}/transcripts/2024/b/x.txt`),
        `${fixtures.chinese.transcript.text}\n`
      )
    }))

  it.scoped("makes a folder again when it was removed after the sink had made it", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const sink = yield* TextSink.component.make(config).pipe(Effect.provide(runContext(dir)))
      yield* sink.write(fixtures.withKey(fixtures.english, "calls/a"))
      yield* fs.remove(`${outputRoot}/transcripts/calls`, { recursive: true })
      yield* sink.write(fixtures.withKey(fixtures.chinese, "calls/b"))
      assert.strictEqual(
        yield* fs.readFileString(`${outputRoot}/transcripts/calls/b.txt`),
        `${fixtures.chinese.transcript.text}\n`
      )
    }))

  it.scoped("writes nothing for a failed item and does not delete an older transcript", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      yield* fs.makeDirectory(`${outputRoot}/transcripts/bad`, { recursive: true })
      yield* fs.writeFileString(`${outputRoot}/transcripts/bad/broken.txt`, "from an earlier run\n")
      assertAllRight(yield* runSink(TextSink.component, config, dir, [fixtures.failed]))
      assert.strictEqual(yield* fs.readFileString(`${outputRoot}/transcripts/bad/broken.txt`), "from an earlier run\n")
    }))

  it.scoped("fails one item with a clear message when its directory cannot be made, and goes on with the others", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      yield* fs.makeDirectory(`${outputRoot}/transcripts`, { recursive: true })
      yield* fs.writeFileString(`${outputRoot}/transcripts/blocked`, "a file where a folder should be")
      const outcomes = yield* runSink(TextSink.component, config, dir, [
        fixtures.withKey(fixtures.english, "blocked/one"),
        fixtures.withKey(fixtures.chinese, "open/two")
      ])
      assert.isTrue(Either.isLeft(outcomes[0]))
      if (Either.isLeft(outcomes[0])) {
        const error = outcomes[0].left
        assert.strictEqual(error.sink, "text")
        assert.strictEqual(error.path, `${outputRoot}/transcripts/blocked/one.txt`)
        assert.include(error.message, `text sink could not open ${outputRoot}/transcripts/blocked/one.txt`)
        assert.include(error.message, `cannot create the directory ${outputRoot}/transcripts/blocked`)
      }
      assert.isTrue(Either.isRight(outcomes[1]))
      assert.strictEqual(
        yield* fs.readFileString(`${outputRoot}/transcripts/open/two.txt`),
        `${fixtures.chinese.transcript.text}\n`
      )
    }))

  it.scoped("writes into a configured directory and reports its outputs relative to the root", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      assertAllRight(
        yield* runSink(TextSink.component, new TextSink.Config({ type: "text", dir: "plain" }), dir, [fixtures.english])
      )
      assert.isTrue(yield* fs.exists(`${outputRoot}/plain/en/meeting.txt`))
    }))
})
