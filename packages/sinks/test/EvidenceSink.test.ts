import { Redact } from "@asrflow/core"
import { Evidence, Failed } from "@asrflow/core/Transcript"
import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as EvidenceSink from "../src/EvidenceSink.js"
import * as fixtures from "./fixtures.js"
import { assertAllRight, assertGolden, runSink, tempRoot } from "./utils.js"
import * as Goldens from "./utils/goldens.js"

const config = new EvidenceSink.Config({ type: "evidence" })

layer(NodeContext.layer)("EvidenceSink", (it) => {
  it.scoped("writes every raw response of an item, redacted, to responses/<key>.json", () =>
    Effect.gen(function*() {
      const text = yield* assertGolden(Goldens.evidence)
      const json = JSON.parse(text)
      assert.deepStrictEqual(json.responses.map((response: { phase: string }) => response.phase), [
        "submit",
        "poll",
        "result"
      ])
      assert.notInclude(text, "fixtureSig")
      assert.notInclude(text, "LTAI5tFixtureAccessKey")
      assert.include(text, "OSSAccessKeyId=***&Signature=***")
    }))

  it.scoped("falls back to the raw response when a provider kept no evidence", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      assertAllRight(yield* runSink(EvidenceSink.component, config, dir, [fixtures.sync]))
      const json = JSON.parse(yield* fs.readFileString(`${outputRoot}/responses/sync/short.json`))
      assert.deepStrictEqual(json.responses, [{ phase: "final", at: null, body: fixtures.sync.transcript.raw }])
    }))

  it.scoped("keeps the error body of a failure, and writes nothing for one that never reached the API", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const local = new Failed({ item: fixtures.mixed.item, phase: "probe", reason: "NotAudio", message: "not audio" })
      assertAllRight(yield* runSink(EvidenceSink.component, config, dir, [fixtures.failed, local]))
      const json = JSON.parse(yield* fs.readFileString(`${outputRoot}/responses/bad/broken.json`))
      assert.strictEqual(json.status, "FAILED")
      assert.strictEqual(json.reason, "InvalidAudio")
      assert.strictEqual(json.responses[0].body.code, "InvalidParameter")
      assert.isFalse(yield* fs.exists(`${outputRoot}/responses/mixed`))
    }))

  it.scoped("never writes the API key", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir, outputRoot } = yield* tempRoot
      const leaky = new Failed({
        item: fixtures.failed.item,
        phase: "transcribe",
        reason: "Unauthorized",
        message: `Unauthorized: Invalid API-key provided: ${fixtures.apiKey}`,
        evidence: [
          new Evidence({
            phase: "submit",
            at: "2026-01-01T00:00:00.000Z",
            body: { code: "InvalidApiKey", message: `Invalid API-key provided: ${fixtures.apiKey}` }
          })
        ]
      })
      assertAllRight(
        yield* runSink(EvidenceSink.component, config, dir, [leaky]).pipe(
          Effect.provide(Redact.layer([fixtures.apiKey]))
        )
      )
      const text = yield* fs.readFileString(`${outputRoot}/responses/bad/broken.json`)
      assert.notInclude(text, fixtures.apiKey)
      assert.include(text, "Invalid API-key provided: ***")
    }))
})
