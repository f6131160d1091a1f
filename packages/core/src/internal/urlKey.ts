/**
 * Output keys for URLs: host plus path, without extension, sanitized.
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import * as Keys from "./keys.js"

/** @internal */
export const protocols: ReadonlyArray<string> = ["http:", "https:", "oss:"]

/**
 * Parses an audio URL, or says why it is not one.
 *
 * @internal
 */
export const parse = (text: string): { readonly _tag: "Ok"; readonly url: URL } | {
  readonly _tag: "Invalid"
  readonly message: string
} => {
  if (!URL.canParse(text)) return { _tag: "Invalid", message: `\`${text}\` is not a valid URL` }
  const url = new URL(text)
  if (!protocols.includes(url.protocol)) {
    return {
      _tag: "Invalid",
      message: `\`${text}\` has an unsupported scheme \`${url.protocol}\`; use http, https or oss`
    }
  }
  if (url.hostname === "") return { _tag: "Invalid", message: `\`${text}\` has no host` }
  return { _tag: "Ok", url }
}

const decode = (segment: string): string =>
  Either.getOrElse(Either.try(() => decodeURIComponent(segment)), () => segment)

/**
 * `https://cdn.example.com/a/b/x.wav?sig=…` → `cdn.example.com/a/b/x`.
 *
 * @internal
 */
export const keyOf = (url: URL): string => {
  const path = url.pathname.split("/").map(decode).join("/")
  return Keys.sanitize(Keys.stripExtension(`${url.hostname}/${path}`)) ?? "url"
}

/**
 * The fallback key of a URL whose key collides with another's: the key plus a short hash of the
 * whole URL (so query strings that differ give different keys).
 *
 * @internal
 */
export const fallbackOf = (url: URL): string => `${keyOf(url)}-${fnv1a(url.href)}`

/** 32-bit FNV-1a over UTF-16 code units, as 8 hex digits: stable across versions and runs. */
const fnv1a = (text: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(16).padStart(8, "0")
}
