import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Redacted } from "effect"
import * as Credentials from "../src/Credentials.js"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const makeHome = (files: { readonly ini?: string; readonly apiKeyFile?: string }) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const home = yield* fs.makeTempDirectoryScoped()
    if (files.ini !== undefined) {
      yield* fs.makeDirectory(path.join(home, ".alibabacloud"), { recursive: true })
      yield* fs.writeFileString(path.join(home, ".alibabacloud", "credentials"), files.ini)
    }
    if (files.apiKeyFile !== undefined) {
      yield* fs.makeDirectory(path.join(home, ".dashscope"), { recursive: true })
      yield* fs.writeFileString(path.join(home, ".dashscope", "api_key"), files.apiKeyFile)
    }
    return home
  })

const ini = [
  "# Alibaba Cloud credentials",
  "[default]",
  "type = access_key",
  "access_key_id = AKID",
  "DashScope_API_Key = sk-from-default",
  "",
  "[work]",
  "dashscope_api_key = \"sk-from-work\"",
  "[empty]",
  "type = access_key"
].join("\n")

layer(NodeContext.layer)("Credentials", (it) => {
  it.scoped("prefers the explicit option over everything", () =>
    Effect.gen(function*() {
      const home = yield* makeHome({ ini, apiKeyFile: "sk-file\n" })
      const resolved = yield* Credentials.resolveApiKey("sk-explicit").pipe(
        withEnv({ DASHSCOPE_API_KEY: "sk-env", HOME: home })
      )
      assert.strictEqual(resolved.source, "option")
      assert.strictEqual(Redacted.value(resolved.key), "sk-explicit")
    }))

  it.scoped("then DASHSCOPE_API_KEY", () =>
    Effect.gen(function*() {
      const home = yield* makeHome({ ini, apiKeyFile: "sk-file\n" })
      const resolved = yield* Credentials.resolveApiKey().pipe(withEnv({ DASHSCOPE_API_KEY: "sk-env", HOME: home }))
      assert.strictEqual(resolved.source, "DASHSCOPE_API_KEY")
      assert.strictEqual(Redacted.value(resolved.key), "sk-env")
    }))

  it.scoped("then the credentials file's default profile, with a case-insensitive key", () =>
    Effect.gen(function*() {
      const home = yield* makeHome({ ini, apiKeyFile: "sk-file\n" })
      const resolved = yield* Credentials.resolveApiKey().pipe(withEnv({ HOME: home }))
      assert.strictEqual(resolved.source, "~/.alibabacloud/credentials [default]")
      assert.strictEqual(Redacted.value(resolved.key), "sk-from-default")
    }))

  it.scoped("selects the profile from ALIBABA_CLOUD_PROFILE, then ALICLOUD_PROFILE", () =>
    Effect.gen(function*() {
      const home = yield* makeHome({ ini })
      const primary = yield* Credentials.resolveApiKey().pipe(
        withEnv({ HOME: home, ALIBABA_CLOUD_PROFILE: "work", ALICLOUD_PROFILE: "default" })
      )
      assert.strictEqual(primary.source, "~/.alibabacloud/credentials [work]")
      assert.strictEqual(Redacted.value(primary.key), "sk-from-work")
      const secondary = yield* Credentials.resolveApiKey().pipe(withEnv({ HOME: home, ALICLOUD_PROFILE: "work" }))
      assert.strictEqual(Redacted.value(secondary.key), "sk-from-work")
    }))

  it.scoped("falls back to ~/.dashscope/api_key when the profile has no key", () =>
    Effect.gen(function*() {
      const home = yield* makeHome({ ini, apiKeyFile: "  sk-file\n" })
      const resolved = yield* Credentials.resolveApiKey().pipe(withEnv({ HOME: home, ALIBABA_CLOUD_PROFILE: "empty" }))
      assert.strictEqual(resolved.source, "~/.dashscope/api_key")
      assert.strictEqual(Redacted.value(resolved.key), "sk-file")
    }))

  it.scoped("fails with one error naming all four places", () =>
    Effect.gen(function*() {
      const home = yield* makeHome({})
      const result = yield* Credentials.resolveApiKey().pipe(
        withEnv({ HOME: home, DASHSCOPE_API_KEY: "  " }),
        Effect.either
      )
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        const message = result.left.message
        assert.strictEqual(result.left._tag, "CredentialsError")
        assert.strictEqual(result.left.reason, "Missing")
        for (
          const place of ["explicit option", "DASHSCOPE_API_KEY", "~/.alibabacloud/credentials", "~/.dashscope/api_key"]
        ) {
          assert.include(message, place)
        }
        assert.include(message, "[default]")
        assert.include(message, "--emulator")
      }
    }))

  it.scoped("refuses a key with a line break or a space inside it, naming its source and not the key", () =>
    Effect.gen(function*() {
      const home = yield* makeHome({
        ini: "[default]\ndashscope_api_key = sk-one sk-two\n",
        apiKeyFile: "sk-first\nsk-second\n"
      })
      const cases = [
        { env: { DASHSCOPE_API_KEY: "sk-env-part\nsk-env-rest", HOME: home }, source: "DASHSCOPE_API_KEY" },
        { env: { HOME: home }, source: "~/.alibabacloud/credentials [default]" },
        { env: { HOME: home, ALIBABA_CLOUD_PROFILE: "none" }, source: "~/.dashscope/api_key" }
      ]
      for (const { env, source } of cases) {
        const result = yield* Credentials.resolveApiKey().pipe(withEnv(env), Effect.either)
        assert.isTrue(Either.isLeft(result), source)
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left.reason, "Malformed")
          assert.include(result.left.message, source)
          for (const secret of ["sk-env", "sk-one", "sk-two", "sk-first", "sk-second"]) {
            assert.notInclude(result.left.message, secret)
          }
        }
      }
      const explicit = yield* Credentials.resolveApiKey("sk-a\r\nsk-b").pipe(withEnv({ HOME: home }), Effect.either)
      assert.isTrue(Either.isLeft(explicit) && explicit.left.reason === "Malformed")
      // surrounding whitespace is not part of the key
      const padded = yield* Credentials.resolveApiKey().pipe(withEnv({ DASHSCOPE_API_KEY: "  sk-padded\n" }))
      assert.strictEqual(Redacted.value(padded.key), "sk-padded")
    }))

  it.scoped("never shows the key when the resolved value is printed", () =>
    Effect.gen(function*() {
      const resolved = yield* Credentials.resolveApiKey().pipe(withEnv({ DASHSCOPE_API_KEY: "sk-secret-value" }))
      assert.notInclude(JSON.stringify(resolved), "sk-secret-value")
      assert.notInclude(String(resolved.key), "sk-secret-value")
    }))
})

describe("Credentials.parseIni", () => {
  it("lower-cases keys, strips quotes and ignores comments", () => {
    const parsed = Credentials.parseIni("; c\n[p]\nA_Key: 'v1'\n# x\nb = v2 = v3\n")
    assert.strictEqual(parsed.get("p")?.get("a_key"), "v1")
    assert.strictEqual(parsed.get("p")?.get("b"), "v2 = v3")
  })
})
