/**
 * Finds the DashScope API key: the explicit option, `DASHSCOPE_API_KEY`, `~/.alibabacloud/credentials`,
 * then `~/.dashscope/api_key`. The key stays `Redacted` from the moment it is read, and a key that cannot
 * be sent as it is (whitespace or a line break inside it) is refused before any request, naming where it
 * came from.
 *
 * @since 0.1.0
 */
import * as CoreCredentials from "@asrflow/core/Credentials"
import { FileSystem, Path } from "@effect/platform"
import { Config, Effect, Option, Redacted } from "effect"

/** The places looked at, in order, in the words the docs use. */
const sources: ReadonlyArray<string> = [
  "the explicit option (api_key)",
  "DASHSCOPE_API_KEY",
  "~/.alibabacloud/credentials",
  "~/.dashscope/api_key"
]

const missing = (provider: string, profile: string) =>
  new CoreCredentials.CredentialsError({
    provider,
    reason: "Missing",
    description: [
      "No DashScope API key found. asrflow looks, in order, at:",
      "  1. the explicit option (api_key in the library calls);",
      "  2. the DASHSCOPE_API_KEY environment variable;",
      `  3. dashscope_api_key in ~/.alibabacloud/credentials, profile [${profile}] (set ALIBABA_CLOUD_PROFILE or ALICLOUD_PROFILE to choose another);`,
      "  4. ~/.dashscope/api_key.",
      "Keys are bound to a region (cn-beijing, ap-southeast-1, us-east-1). To try asrflow without a key, use --emulator."
    ].join("\n")
  })

/**
 * Parses an INI document into sections of lower-cased keys (as Python's `configparser` does).
 *
 * @since 0.1.0
 * @category utils
 */
export const parseIni = (text: string): ReadonlyMap<string, ReadonlyMap<string, string>> => {
  const sections = new Map<string, Map<string, string>>()
  let current: Map<string, string> | undefined
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim()
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header) {
      const name = header[1].trim()
      current = sections.get(name) ?? new Map<string, string>()
      sections.set(name, current)
      continue
    }
    const eq = line.search(/[=:]/)
    if (eq <= 0 || current === undefined) continue
    const key = line.slice(0, eq).trim().toLowerCase()
    const value = line.slice(eq + 1).trim().replace(/^(["'])(.*)\1$/, "$2")
    current.set(key, value)
  }
  return sections
}

const optionalString = (name: string) =>
  Config.option(Config.string(name)).pipe(
    Effect.map(Option.filter((value) => value.trim() !== "")),
    Effect.orElseSucceed(() => Option.none<string>())
  )

/** The credentials profile: `ALIBABA_CLOUD_PROFILE`, then `ALICLOUD_PROFILE`, else `default`. */
const profile: Effect.Effect<string> = Effect.gen(function*() {
  const primary = yield* optionalString("ALIBABA_CLOUD_PROFILE")
  const secondary = yield* optionalString("ALICLOUD_PROFILE")
  return Option.getOrElse(Option.orElse(primary, () => secondary), () => "default")
})

/**
 * A key as found: surrounding whitespace is dropped; whitespace inside it is refused (an HTTP header
 * cannot carry a line break, and a key never has a space), naming the source and never the key.
 */
const checked = (provider: string, raw: Redacted.Redacted<string>, source: string) => {
  const value = Redacted.value(raw).trim()
  if (/\s/.test(value)) {
    return Effect.fail(
      new CoreCredentials.CredentialsError({
        provider,
        reason: "Malformed",
        description: `the DashScope API key from ${source} has ${
          /[\r\n]/.test(value) ? "a line break" : "whitespace"
        } inside it; a key is one line without spaces: fix ${source} (is it two keys, or a key and a comment?)`
      })
    )
  }
  return Effect.succeed<CoreCredentials.Resolved>({ key: Redacted.make(value), source })
}

const isBlank = (raw: Redacted.Redacted<string>) => Redacted.value(raw).trim() === ""

const readOptional = (fs: FileSystem.FileSystem, file: string) => fs.readFileString(file).pipe(Effect.option)

/**
 * Resolves the key. The environment is read through effect `Config` (the key with `Config.redacted`), so
 * tests can use a `ConfigProvider.fromMap`; the home directory comes from `HOME` (or `USERPROFILE`).
 * `source` is `option`, `DASHSCOPE_API_KEY`, `~/.alibabacloud/credentials [<profile>]` or
 * `~/.dashscope/api_key`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveApiKey = (explicit?: Redacted.Redacted<string> | string | undefined) => resolveFor("qwen", explicit)

/**
 * Resolves the key for a DashScope provider family: the same places, errors naming `provider`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const resolveFor = Effect.fn("Credentials.resolve")(function*(
  provider: string,
  explicit?: Redacted.Redacted<string> | string | undefined
) {
  if (explicit !== undefined) {
    const key = Redacted.isRedacted(explicit) ? explicit : Redacted.make(explicit)
    if (!isBlank(key)) return yield* checked(provider, key, "option")
  }
  const env = yield* Config.option(Config.redacted("DASHSCOPE_API_KEY")).pipe(
    Effect.map(Option.filter((key) => !isBlank(key))),
    Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>())
  )
  if (Option.isSome(env)) return yield* checked(provider, env.value, "DASHSCOPE_API_KEY")
  const selected = yield* profile
  const home = yield* optionalString("HOME")
  const homeDir = Option.isSome(home) ? home : yield* optionalString("USERPROFILE")
  if (Option.isSome(homeDir)) {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const ini = yield* readOptional(fs, path.join(homeDir.value, ".alibabacloud", "credentials"))
    if (Option.isSome(ini)) {
      const value = parseIni(ini.value).get(selected)?.get("dashscope_api_key")
      if (value !== undefined && value !== "") {
        return yield* checked(provider, Redacted.make(value), `~/.alibabacloud/credentials [${selected}]`)
      }
    }
    const file = yield* readOptional(fs, path.join(homeDir.value, ".dashscope", "api_key"))
    if (Option.isSome(file) && file.value.trim() !== "") {
      return yield* checked(provider, Redacted.make(file.value), "~/.dashscope/api_key")
    }
  }
  return yield* missing(provider, selected)
})

/**
 * The provider's credentials, as the core contract declares them.
 *
 * @since 0.2.0
 * @category constructors
 */
export const spec: CoreCredentials.Spec<FileSystem.FileSystem | Path.Path> = { sources, resolve: resolveApiKey }

/**
 * The credentials of another DashScope provider family: the same account, the same key and places.
 *
 * @since 0.2.0
 * @category constructors
 */
export const specFor = (provider: string): CoreCredentials.Spec<FileSystem.FileSystem | Path.Path> => ({
  sources,
  resolve: (explicit) => resolveFor(provider, explicit)
})
