import { Redact } from "@asrflow/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"

const apiKey = "sk-0123456789abcdef0123456789abcdef"
const signedUrl = "https://dashscope-result.oss-cn-beijing.aliyuncs.com/a/b.json" +
  "?Expires=1700000000&OSSAccessKeyId=LTAI5tSecretAccessKeyId&Signature=abc%2Bdef%3D&security-token=CAIS.tok"

describe("Redact", () => {
  it("removes every occurrence of a known secret", () => {
    const redactor = Redact.make([Redacted.make(apiKey)])
    assert.strictEqual(
      redactor.string(`key=${apiKey}; again ${apiKey}!`),
      "key=***; again ***!"
    )
  })

  it("ignores secrets shorter than 8 characters, which would hit ordinary words", () => {
    const redactor = Redact.make(["the", "short"])
    assert.strictEqual(redactor.string("the short story"), "the short story")
  })

  it("removes the signing parameters of signed URLs and keeps the rest of the URL", () => {
    const redacted = Redact.signaturesOnly.string(`result at ${signedUrl} now`)
    assert.strictEqual(
      redacted,
      "result at https://dashscope-result.oss-cn-beijing.aliyuncs.com/a/b.json" +
        "?Expires=1700000000&OSSAccessKeyId=***&Signature=***&security-token=*** now"
    )
    assert.notInclude(redacted, "LTAI5tSecretAccessKeyId")
    assert.notInclude(redacted, "abc%2Bdef")
  })

  it("matches parameter names case-insensitively, including V4 and S3 styles", () => {
    const url = "https://b.example.com/o?x-oss-signature=s1&X-OSS-Credential=c1&x-amz-signature=s2&keep=1"
    assert.strictEqual(
      Redact.signaturesOnly.string(url),
      "https://b.example.com/o?x-oss-signature=***&X-OSS-Credential=***&x-amz-signature=***&keep=1"
    )
  })

  it("removes bearer tokens from Authorization headers", () => {
    assert.strictEqual(
      Redact.signaturesOnly.string("Authorization: Bearer sk-abc.def"),
      "Authorization: Bearer ***"
    )
    assert.strictEqual(
      Redact.signaturesOnly.string(`{"Authorization":"Bearer sk-abc.def"}`),
      `{"Authorization":"Bearer ***"}`
    )
  })

  it("never touches transcript text, even when it names the parameters", () => {
    const redactor = Redact.make([apiKey])
    const texts = [
      "请在这里签名，Signature=张三，OSSAccessKeyId 是一个参数名。",
      "The Signature of the bearer of this letter is required. security-token=none",
      "欢迎使用阿里云 Qwen ASR，今天天气很好。"
    ]
    for (const text of texts) {
      assert.strictEqual(redactor.string(text), text)
    }
  })

  it("redacts deeply inside JSON-like values and keeps their shape", () => {
    const redactor = Redact.make([apiKey])
    const value = {
      output: {
        task_id: "t-1",
        result: { transcription_url: signedUrl },
        text: "你好，世界。",
        items: [apiKey, 42, null, true, { nested: `Bearer? no: ${apiKey}` }]
      },
      headers: { Authorization: `Bearer ${apiKey}`, "X-DashScope-Async": "enable" },
      api_key: "plain-value-123"
    }
    const redacted = redactor.value(value)
    const json = JSON.stringify(redacted)
    assert.notInclude(json, apiKey)
    assert.notInclude(json, "LTAI5tSecretAccessKeyId")
    assert.notInclude(json, "plain-value-123")
    assert.deepStrictEqual(redacted, {
      output: {
        task_id: "t-1",
        result: {
          transcription_url: "https://dashscope-result.oss-cn-beijing.aliyuncs.com/a/b.json" +
            "?Expires=1700000000&OSSAccessKeyId=***&Signature=***&security-token=***"
        },
        text: "你好，世界。",
        items: ["***", 42, null, true, { nested: "Bearer? no: ***" }]
      },
      headers: { Authorization: "***", "X-DashScope-Async": "enable" },
      api_key: "***"
    })
    assert.include(JSON.stringify(value), apiKey, "the input is not mutated")
  })

  it.effect("the Redactor defaults to signatures-only and can be given the API key by a layer", () =>
    Effect.gen(function*() {
      const fallback = yield* Redact.Redactor
      assert.strictEqual(fallback.string(apiKey), apiKey)
      assert.notInclude(fallback.string(signedUrl), "abc%2Bdef")
      const provided = yield* Redact.Redactor.pipe(Effect.provide(Redact.layer([Redacted.make(apiKey)])))
      assert.strictEqual(provided.string(`x ${apiKey}`), "x ***")
    }))
})

describe("Redact.value", () => {
  it("sees class instances and toJSON values as JSON.stringify does", () => {
    class Holder {
      readonly url = "https://x.example.com/a?Signature=s3cr3t"
      get hidden(): string {
        return "not serialized"
      }
    }
    const date = new Date(0)
    const redacted = Redact.signaturesOnly.value({ holder: new Holder(), date })
    assert.deepStrictEqual(redacted, {
      holder: { url: "https://x.example.com/a?Signature=***" },
      date: "1970-01-01T00:00:00.000Z"
    })
  })
})
