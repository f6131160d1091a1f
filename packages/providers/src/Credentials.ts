/**
 * Finds the DashScope API key: the explicit option, `DASHSCOPE_API_KEY`, `~/.alibabacloud/credentials`,
 * then `~/.dashscope/api_key`. The key stays `Redacted` from the moment it is read.
 *
 * @since 0.1.0
 */
import { FileSystem, Path } from "@effect/platform"
import { Config, Effect, Option, Redacted, Schema } from "effect"

/**
 * Where a key was found.
 *
 * @since 0.1.0
 * @category models
 */
export type KeySource =
  | "option"
  | "DASHSCOPE_API_KEY"
  | `~/.alibabacloud/credentials [${string}]`
  | "~/.dashscope/api_key"

/**
 * @since 0.1.0
 * @category models
 */
export interface ResolvedKey {
  readonly key: Redacted.Redacted<string>
  readonly source: KeySource
}

/**
 * No key was found in any of the four places.
 *
 * @since 0.1.0
 * @category errors
 */
export class MissingApiKeyError extends Schema.TaggedError<MissingApiKeyError>(
  "@asrflow/providers/MissingApiKeyError"
)("MissingApiKeyError", {
  profile: Schema.String
}) {
  override get message(): string {
    return [
      "No DashScope API key found. asrflow looks, in order, at:",
      "  1. the explicit option (api_key in the library calls);",
      "  2. the DASHSCOPE_API_KEY environment variable;",
      `  3. dashscope_api_key in ~/.alibabacloud/credentials, profile [${this.profile}] (set ALIBABA_CLOUD_PROFILE or ALICLOUD_PROFILE to choose another);`,
      "  4. ~/.dashscope/api_key.",
      "Keys are bound to a region (cn-beijing, ap-southeast-1, us-east-1). To try asrflow without a key, use --emulator."
    ].join("\n")
  }
}

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

/**
 * The credentials profile: `ALIBABA_CLOUD_PROFILE`, then `ALICLOUD_PROFILE`, else `default`.
 *
 * @since 0.1.0
 * @category utils
 */
export const profile: Effect.Effect<string> = Effect.gen(function*() {
  const primary = yield* optionalString("ALIBABA_CLOUD_PROFILE")
  const secondary = yield* optionalString("ALICLOUD_PROFILE")
  return Option.getOrElse(Option.orElse(primary, () => secondary), () => "default")
})

const readOptional = (fs: FileSystem.FileSystem, file: string) => fs.readFileString(file).pipe(Effect.option)

/**
 * Resolves the key. The environment is read through effect `Config`, so tests can use a
 * `ConfigProvider.fromMap`; the home directory comes from `HOME` (or `USERPROFILE`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveApiKey = Effect.fn("Credentials.resolveApiKey")(function*(
  explicit?: Redacted.Redacted<string> | string | undefined
) {
  if (explicit !== undefined) {
    const key = Redacted.isRedacted(explicit) ? explicit : Redacted.make(explicit)
    if (Redacted.value(key).trim() !== "") return { key, source: "option" } satisfies ResolvedKey as ResolvedKey
  }
  const env = yield* optionalString("DASHSCOPE_API_KEY")
  if (Option.isSome(env)) {
    return { key: Redacted.make(env.value.trim()), source: "DASHSCOPE_API_KEY" } as ResolvedKey
  }
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
        return { key: Redacted.make(value), source: `~/.alibabacloud/credentials [${selected}]` } as ResolvedKey
      }
    }
    const file = yield* readOptional(fs, path.join(homeDir.value, ".dashscope", "api_key"))
    if (Option.isSome(file) && file.value.trim() !== "") {
      return { key: Redacted.make(file.value.trim()), source: "~/.dashscope/api_key" } as ResolvedKey
    }
  }
  return yield* new MissingApiKeyError({ profile: selected })
})
