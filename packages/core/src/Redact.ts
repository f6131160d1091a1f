/**
 * The one redaction function. The evidence writer, the run log, the sinks and error messages all
 * pass what they write through it, so an API key or a URL signature never reaches a file or a log.
 *
 * It removes:
 * - every occurrence of a known secret (8 characters or more; shorter ones would hit ordinary words);
 * - the values of signing query parameters (`Signature`, `OSSAccessKeyId`, `security-token`, …) inside
 *   URL-looking strings (`http(s)://…`, `oss://…`);
 * - the value of an `Authorization: Bearer …` header, and the values of object keys that hold credentials
 *   (`authorization`, any `…api_key` / `…apikey`, `x-api-key`, `access_key_secret`, …).
 *
 * It never touches ordinary text: a parameter name outside a URL (a transcript that says "Signature") stays.
 *
 * @since 0.1.0
 */
import { Context, Layer, Predicate, Redacted } from "effect"

/**
 * What replaces a removed value.
 *
 * @since 0.1.0
 * @category constants
 */
export const MASK = "***"

/**
 * Secrets shorter than this are not redacted by value: they would match ordinary words.
 *
 * @since 0.1.0
 * @category constants
 */
export const MIN_SECRET_LENGTH = 8

/**
 * The query parameters whose values are removed from URLs (compared case-insensitively).
 *
 * @since 0.1.0
 * @category constants
 */
export const SIGNED_URL_PARAMS: ReadonlyArray<string> = [
  "Signature",
  "OSSAccessKeyId",
  "security-token",
  "x-oss-security-token",
  "x-oss-signature",
  "x-oss-credential",
  "X-Amz-Signature",
  "X-Amz-Credential",
  "X-Amz-Security-Token"
]

/**
 * Object keys whose string values are credentials (compared case-insensitively). Any key that ends in
 * `api_key`, `apikey` or `api-key` counts too, whatever the vendor prefix (`openai_api_key`, …).
 *
 * @since 0.1.0
 * @category constants
 */
export const SECRET_KEYS: ReadonlyArray<string> = [
  "authorization",
  "x-api-key",
  "access_key_secret",
  "accesskeysecret",
  "secret_access_key"
]

const escapeRegExp = (input: string): string => input.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const URL_PATTERN = /\b(?:https?|oss):\/\/[^\s"'<>`]+/gi
const PARAM_PATTERN = new RegExp(`([?&](?:${SIGNED_URL_PARAMS.map(escapeRegExp).join("|")})=)[^&#\\s"'<>\`]*`, "gi")
const BEARER_PATTERN = /(authorization["']?\s*[:=]\s*["']?bearer\s+)[^\s"',;]+/gi
const SECRET_KEY_SET = new Set(SECRET_KEYS)
const API_KEY_SUFFIX = /(?:api[_-]?key)$/i
const isSecretKey = (key: string): boolean => SECRET_KEY_SET.has(key.toLowerCase()) || API_KEY_SUFFIX.test(key)

/**
 * Builds a redactor for the given secrets (plain strings or `Redacted` values).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (secrets: ReadonlyArray<string | Redacted.Redacted<string>>): Redactor.Service => {
  const values = secrets
    .map((secret) => Redacted.isRedacted(secret) ? Redacted.value(secret) : secret)
    .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
    // longest first, so that a secret containing another is removed whole
    .sort((a, b) => b.length - a.length)
  const string = (input: string): string => {
    let output = input
    for (const secret of values) {
      if (output.includes(secret)) output = output.split(secret).join(MASK)
    }
    if (output.includes("://")) {
      output = output.replace(URL_PATTERN, (url) => url.replace(PARAM_PATTERN, `$1${MASK}`))
    }
    if (/bearer/i.test(output)) output = output.replace(BEARER_PATTERN, `$1${MASK}`)
    return output
  }
  const value = (input: unknown): unknown => {
    if (typeof input === "string") return string(input)
    if (Array.isArray(input)) return input.map(value)
    if (Redacted.isRedacted(input)) return MASK
    if (Predicate.isObject(input) && !Predicate.isFunction(input)) {
      // as JSON.stringify sees it: toJSON when there is one, otherwise the own enumerable fields
      if (Predicate.hasProperty(input, "toJSON") && Predicate.isFunction(input.toJSON)) return value(input.toJSON())
      const output: Record<string, unknown> = {}
      for (const [key, entry] of Object.entries(input)) {
        output[key] = isSecretKey(key) && typeof entry === "string" && entry.length > 0
          ? MASK
          : value(entry)
      }
      return output
    }
    return input
  }
  return { string, value }
}

/**
 * A redactor that knows no secrets: it still removes URL signatures and bearer tokens.
 *
 * @since 0.1.0
 * @category constructors
 */
export const signaturesOnly: Redactor.Service = make([])

/**
 * The run's redactor. The edge provides one that knows the API key (`layer([apiKey])`); without it,
 * the default still removes URL signatures and bearer tokens.
 *
 * @since 0.1.0
 * @category context
 */
export class Redactor extends Context.Reference<Redactor>()("@asrflow/core/Redactor", {
  defaultValue: (): Redactor.Service => signaturesOnly
}) {}

/**
 * @since 0.1.0
 */
export declare namespace Redactor {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Redacts one string. */
    readonly string: (input: string) => string
    /** Redacts every string inside a value as JSON.stringify would see it (deeply); returns plain data. */
    readonly value: (input: unknown) => unknown
  }
}

/**
 * Provides a redactor that knows the given secrets.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (secrets: ReadonlyArray<string | Redacted.Redacted<string>>): Layer.Layer<Redactor> =>
  Layer.succeed(Redactor, make(secrets))
