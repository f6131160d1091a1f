/**
 * Finds the key of an OpenAI-compatible server: the explicit option, then `OPENAI_API_KEY`. The key stays
 * `Redacted` from the moment it is read and is sent only as the bearer token to the configured server. A server
 * without authentication (a local faster-whisper) still needs a value: any will do (`OPENAI_API_KEY=none`).
 *
 * @since 0.2.0
 */
import * as CoreCredentials from "@asrflow/core/Credentials"
import { Config, Effect, Option, Redacted } from "effect"

/** The places looked at, in order. */
const sources: ReadonlyArray<string> = ["the explicit option (api_key)", "OPENAI_API_KEY"]

const missing = new CoreCredentials.CredentialsError({
  provider: "openai",
  reason: "Missing",
  description: [
    "No API key for the OpenAI-compatible server. asrflow looks, in order, at:",
    "  1. the explicit option (api_key in the library calls);",
    "  2. the OPENAI_API_KEY environment variable (for Groq or another vendor, put that vendor's key there).",
    "A server without authentication takes any value: OPENAI_API_KEY=none. To try asrflow without a key, use --emulator."
  ].join("\n")
})

const checked = (raw: Redacted.Redacted<string>, source: string) => {
  const value = Redacted.value(raw).trim()
  return /\s/.test(value)
    ? Effect.fail(
      new CoreCredentials.CredentialsError({
        provider: "openai",
        reason: "Malformed",
        description:
          `the API key from ${source} has whitespace inside it; a key is one line without spaces: fix ${source}`
      })
    )
    : Effect.succeed<CoreCredentials.Resolved>({ key: Redacted.make(value), source })
}

/**
 * Resolves the key (the environment through effect `Config`, so tests can use a `ConfigProvider.fromMap`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const resolve = (explicit?: Redacted.Redacted<string> | string | undefined) =>
  Effect.gen(function*() {
    if (explicit !== undefined) {
      const key = Redacted.isRedacted(explicit) ? explicit : Redacted.make(explicit)
      if (Redacted.value(key).trim() !== "") return yield* checked(key, "option")
    }
    const env = yield* Config.option(Config.redacted("OPENAI_API_KEY")).pipe(
      Effect.map(Option.filter((key) => Redacted.value(key).trim() !== "")),
      Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>())
    )
    if (Option.isSome(env)) return yield* checked(env.value, "OPENAI_API_KEY")
    return yield* missing
  })

/**
 * The provider's credentials, as the core contract declares them.
 *
 * @since 0.2.0
 * @category constructors
 */
export const spec: CoreCredentials.Spec = { sources, resolve }
