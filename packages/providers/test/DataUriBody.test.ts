import { FileSystem, HttpBody, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Encoding, Stream } from "effect"
import * as DataUriBody from "../src/internal/dataUriBody.js"

describe("DataUriBody", () => {
  it.scoped("streams a file as the data URI of a JSON body, byte for byte what JSON.stringify would send", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "asrflow-data-uri-" })
      // every remainder mod 3, and more than one read buffer
      for (const size of [0, 1, 2, 3, 4, 5, 49_151, 49_152, 49_153, 150_001]) {
        const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7919 + size) % 256)
        const file = path.join(dir, `audio-${size}.flac`)
        yield* fs.writeFile(file, bytes)
        const build = (data: string) => ({ model: "m", messages: [{ content: [{ input_audio: { data } }] }], n: 1 })
        const body = DataUriBody.bodyOf(fs, { file, mime: "audio/flac", bytes: size }, build)
        if (!HttpBody.isHttpBody(body) || body._tag !== "Stream") return assert.fail("a streamed body")
        const sent = yield* Stream.runCollect(body.stream).pipe(
          Effect.map((chunks) => Buffer.concat(Array.from(chunks)).toString("utf8"))
        )
        assert.strictEqual(sent, JSON.stringify(build(`data:audio/flac;base64,${Encoding.encodeBase64(bytes)}`)))
        assert.strictEqual(body.contentLength, Buffer.byteLength(sent), `Content-Length for ${size} bytes`)
        assert.strictEqual(body.contentType, "application/json")
      }
    }).pipe(Effect.provide(NodeContext.layer)))

  it("writes a small file's bytes inline, byte for byte what JSON.stringify would send, text around it in UTF-8", () => {
    for (const size of [0, 1, 2, 3, 4, 5, 19_201]) {
      const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7919 + size) % 256)
      // non-ASCII and escaped text around the audio: its byte length is not its length
      const build = (data: string) => ({
        model: "m",
        messages: [{ role: "system", content: [{ text: "会议 \"纪要\" \n — ✓" }] }, { content: [{ data }] }],
        n: 1
      })
      const body = DataUriBody.bodyOf(undefined as never, { inline: bytes, mime: "audio/wav" }, build)
      if (!HttpBody.isHttpBody(body) || body._tag !== "Uint8Array") return assert.fail("a body of bytes")
      const expected = Buffer.from(JSON.stringify(build(`data:audio/wav;base64,${Encoding.encodeBase64(bytes)}`)))
      assert.isTrue(Buffer.from(body.body).equals(expected), `${size} bytes`)
      assert.strictEqual(body.contentLength, expected.length)
      assert.strictEqual(body.contentType, "application/json")
    }
  })

  it("leaves a data URI or URL already in hand to the JSON encoder", () => {
    const body = DataUriBody.bodyOf(
      undefined as never,
      { data: "https://example.com/a.wav", ossResolve: false },
      (data) => ({ data })
    )
    assert.deepStrictEqual(body, { data: "https://example.com/a.wav" })
  })
})
