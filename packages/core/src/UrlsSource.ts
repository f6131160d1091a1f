/**
 * The `urls` source: a list of http(s) or `oss://` URLs.
 *
 * The output key is the host plus the path without extension, sanitized
 * (`https://cdn.example.com/a/b/x.wav?sig=…` → `cdn.example.com/a/b/x`). URLs whose keys would
 * collide get the key plus a short hash of the whole URL; a URL listed twice is transcribed once.
 *
 * @since 0.1.0
 */
import { Either, Schema, Stream } from "effect"
import { AudioItem } from "./AudioItem.js"
import { SourceError } from "./AudioSource.js"
import type { SourceEntry } from "./AudioSource.js"
import type { SourceComponent } from "./Component.js"
import * as Keys from "./internal/keys.js"
import * as UrlKey from "./internal/urlKey.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export class Config extends Schema.Class<Config>("UrlsSourceConfig")({
  type: Schema.Literal("urls"),
  urls: Schema.NonEmptyArray(Schema.String).annotations({
    description: "http(s) or oss:// URLs of recordings. Public URLs are passed to the provider as they are.",
    examples: [["https://example.com/audio/meeting.mp3"]]
  })
}, { description: "A list of audio URLs." }) {}

/**
 * The entries of a `urls` source, in the order given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const list = (config: Config): ReadonlyArray<SourceEntry> => {
  const seen = new Set<string>()
  const urls: Array<URL> = []
  const entries: Array<Either.Either<number, SourceError>> = []
  config.urls.forEach((text, index) => {
    const parsed = UrlKey.parse(text.trim())
    if (parsed._tag === "Invalid") {
      entries.push(
        Either.left(
          new SourceError({
            source: "urls",
            location: `urls[${index}]`,
            reason: "InvalidPath",
            description: parsed.message
          })
        )
      )
    } else if (!seen.has(parsed.url.href)) {
      seen.add(parsed.url.href)
      entries.push(Either.right(urls.length))
      urls.push(parsed.url)
    }
  })
  const keys = Keys.unique(urls.map((url) => ({ key: UrlKey.keyOf(url), fallback: UrlKey.fallbackOf(url) })))
  return entries.map((entry) =>
    Either.map(entry, (index) =>
      new AudioItem({
        id: urls[index].href,
        source: urls[index].href,
        kind: "url",
        outputKey: keys[index],
        origin: "urls"
      }))
  )
}

/**
 * @since 0.1.0
 * @category components
 */
export const component: SourceComponent<Config, never> = {
  kind: "source",
  type: "urls",
  description: "A list of http(s) or oss:// audio URLs.",
  config: Config,
  make: (config) => Stream.suspend(() => Stream.fromIterable(list(config)))
}
