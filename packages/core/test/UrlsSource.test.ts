import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as UrlsSource from "../src/UrlsSource.js"
import { collect, summarize } from "./utils/sources.js"

const config = (urls: ReadonlyArray<string>) => Schema.decodeUnknownSync(UrlsSource.Config)({ type: "urls", urls })

describe("UrlsSource", () => {
  it.effect("keys URLs by host and path, rejects bad ones by index, and disambiguates collisions", () =>
    Effect.gen(function*() {
      const entries = yield* collect(
        UrlsSource.component.make(config([
          "https://cdn.example.com/audio/a/x.wav?Expires=1&Signature=abc",
          "http://cdn.example.com/audio/a/x.mp3",
          "oss://bucket/dir/../meeting%20notes.m4a",
          "not a url",
          "file:///etc/passwd",
          "https://cdn.example.com/audio/a/x.wav?Expires=1&Signature=abc",
          "https://example.com/",
          "  https://example.com/%E4%BC%9A%E8%AE%AE.wav  "
        ])),
        "/base"
      )
      assert.deepStrictEqual(summarize(entries, "/base"), [
        "cdn.example.com/audio/a/x-9f5939c4 <- https://cdn.example.com/audio/a/x.wav?Expires=1&Signature=abc",
        "cdn.example.com/audio/a/x-a22160c3 <- http://cdn.example.com/audio/a/x.mp3",
        "bucket/meeting_notes <- oss://bucket/meeting%20notes.m4a",
        "! InvalidPath urls[3]: `not a url` is not a valid URL",
        "! InvalidPath urls[4]: `file:///etc/passwd` has an unsupported scheme `file:`; use http, https or oss",
        "example.com <- https://example.com/",
        "example.com/会议 <- https://example.com/%E4%BC%9A%E8%AE%AE.wav"
      ])
    }))

  it("makes the same keys on every run", () => {
    const urls = ["https://h/a.wav?x=1", "https://h/a.wav?x=2"]
    const keys = () => UrlsSource.list(config(urls)).map((entry) => entry._tag === "Right" ? entry.right.outputKey : "")
    assert.deepStrictEqual(keys(), keys())
    assert.notStrictEqual(keys()[0], keys()[1])
    assert.match(keys()[0], /^h\/a-[0-9a-f]{8}$/)
  })
})
