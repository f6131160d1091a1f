import * as RetryPolicy from "@asrflow/core/RetryPolicy"
import { FileSystem, HttpClient, HttpClientResponse, Path } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Redacted, Ref, Stream, TestClock } from "effect"
import * as DashScopeClient from "../src/DashScopeClient.js"
import * as TempUpload from "../src/TempUpload.js"
import * as FakeHttp from "./utils/FakeHttp.js"

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: string
}

const policy = (n: number) => ({
  request_id: `policy-${n}`,
  data: {
    policy: `cG9saWN5LQ${n}`,
    signature: `sig-${n}`,
    upload_dir: `dashscope-instant/abc/2026-01-01/dir-${n}`,
    upload_host: "http://oss.fake.test",
    expire_in_seconds: 300,
    max_file_size_mb: 1,
    capacity_limit_mb: 999999999,
    oss_access_key_id: "LTAI-test",
    x_oss_object_acl: "private",
    x_oss_forbid_overwrite: "true"
  }
})

const retry = RetryPolicy.defaults

/** A stager over a fake HTTP client that records every request with its (streamed) body as text. */
const harness = (upload: (n: number) => Response = () => new Response("", { status: 200 })) =>
  Effect.gen(function*() {
    const seen = yield* Ref.make<Array<Seen>>([])
    let policies = 0
    let uploads = 0
    const client = HttpClient.make((request: HttpClientRequest.HttpClientRequest, url) =>
      Effect.gen(function*() {
        const body = request.body._tag === "Stream"
          ? new TextDecoder().decode(
            Chunk.toReadonlyArray(yield* Stream.runCollect(request.body.stream.pipe(Stream.orDie))).reduce(
              (all, part) => new Uint8Array([...all, ...part]),
              new Uint8Array()
            )
          )
          : ""
        yield* Ref.update(seen, (all) => [...all, {
          method: request.method,
          url: url.toString(),
          headers: { ...request.headers },
          body
        }])
        if (url.pathname === "/api/v1/uploads") {
          policies++
          return HttpClientResponse.fromWeb(request, FakeHttp.json(200, policy(policies)))
        }
        uploads++
        return HttpClientResponse.fromWeb(request, upload(uploads))
      })
    )
    const dashscope = yield* DashScopeClient.make({
      apiKey: Redacted.make("sk-secret"),
      httpBaseUrl: "http://fake.test/api/v1"
    })
      .pipe(Effect.provideService(HttpClient.HttpClient, client))
    const stager = yield* TempUpload.make({ retry: new RetryPolicy.RetryPolicy({ ...retry, attempts: 0 }) }).pipe(
      Effect.provideService(DashScopeClient.DashScopeClient, dashscope)
    )
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped()
    const write = (name: string, text: string) =>
      Effect.as(fs.writeFileString(path.join(dir, name), text), path.join(dir, name))
    return { stager, seen: Ref.get(seen), write }
  })

describe("TempUpload", () => {
  it.scoped("uploads with the SDK's form fields, file last, under a unique key, without the API key", () =>
    Effect.gen(function*() {
      const { seen, stager, write } = yield* harness()
      const file = yield* write("my meeting (1).wav", "RIFF-audio-bytes")
      const staged = yield* stager.stage(file, { model: "qwen3-asr-flash-filetrans-2025-11-17", mime: "audio/wav" })
      const [getPolicy, upload] = yield* seen
      assert.strictEqual(
        getPolicy!.url,
        "http://fake.test/api/v1/uploads?action=getPolicy&model=qwen3-asr-flash-filetrans-2025-11-17"
      )
      assert.strictEqual(getPolicy!.headers["authorization"], "Bearer sk-secret")

      assert.strictEqual(upload!.url, "http://oss.fake.test/")
      assert.isUndefined(upload!.headers["authorization"])
      assert.notInclude(JSON.stringify(upload), "sk-secret")
      assert.strictEqual(Number(upload!.headers["content-length"]), new TextEncoder().encode(upload!.body).byteLength)
      const names = [...upload!.body.matchAll(/form-data; name="([^"]+)"/g)].map((m) => m[1])
      assert.deepStrictEqual(names, [
        "OSSAccessKeyId",
        "Signature",
        "policy",
        "key",
        "x-oss-object-acl",
        "x-oss-forbid-overwrite",
        "success_action_status",
        "x-oss-content-type",
        "file"
      ])
      assert.include(upload!.body, "RIFF-audio-bytes")
      assert.match(upload!.body, /name="success_action_status"\r\n\r\n200\r\n/)
      assert.match(upload!.body, /name="x-oss-content-type"\r\n\r\naudio\/wav\r\n/)

      assert.match(staged.key, /^dashscope-instant\/abc\/2026-01-01\/dir-1\/[0-9a-f-]{36}-my_meeting_1_\.wav$/)
      assert.strictEqual(staged.fileUrl, `oss://${staged.key}`)
      assert.strictEqual(staged.bytes, 16)
      // the TestClock starts at 0: the upload is usable for 48 h
      assert.strictEqual(staged.expiresAt, 48 * 3600 * 1000)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("reuses one policy for several files while it is valid, and fetches a new one after it expires", () =>
    Effect.gen(function*() {
      const { seen, stager, write } = yield* harness()
      const a = yield* write("a.wav", "aaa")
      const b = yield* write("b.wav", "bbb")
      const first = yield* stager.stage(a, { model: "qwen3-asr-flash-filetrans" })
      const second = yield* stager.stage(b, { model: "qwen3-asr-flash-filetrans" })
      assert.notStrictEqual(first.key, second.key)
      assert.strictEqual((yield* seen).filter((r) => r.url.includes("getPolicy")).length, 1)
      // 300 s policies are refreshed 30 s early
      yield* TestClock.adjust("271 seconds")
      const third = yield* stager.stage(a, { model: "qwen3-asr-flash-filetrans" })
      assert.strictEqual((yield* seen).filter((r) => r.url.includes("getPolicy")).length, 2)
      assert.include(third.key, "dir-2/")
      assert.notStrictEqual(third.key, first.key)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("an OSS 403 fetches a fresh policy once; a second 403 is a clear, non-fatal error", () =>
    Effect.gen(function*() {
      const xml =
        "<Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy expired.</Message></Error>"
      const { seen, stager, write } = yield* harness(() => new Response(xml, { status: 403 }))
      const file = yield* write("a.wav", "aaa")
      const error = yield* Effect.flip(stager.stage(file, { model: "qwen3-asr-flash-filetrans" }))
      assert.strictEqual(error.reason, "InvalidRequest")
      assert.isFalse(error.isFatal)
      assert.strictEqual(error.code, "AccessDenied")
      assert.include(error.message, "Policy expired")
      const requests = yield* seen
      assert.strictEqual(requests.filter((r) => r.url.includes("getPolicy")).length, 2)
      assert.strictEqual(requests.filter((r) => r.url.startsWith("http://oss.fake.test")).length, 2)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("refuses a file over the policy's max_file_size_mb before uploading", () =>
    Effect.gen(function*() {
      const { seen, stager, write } = yield* harness()
      const file = yield* write("big.wav", "x".repeat(1024 * 1024 + 1))
      const error = yield* Effect.flip(stager.stage(file, { model: "qwen3-asr-flash-filetrans" }))
      assert.strictEqual(error.reason, "InvalidAudio")
      assert.strictEqual((yield* seen).filter((r) => r.url.startsWith("http://oss.fake.test")).length, 0)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("paces getPolicy under 100 per second per model", () =>
    Effect.gen(function*() {
      const { seen, stager, write } = yield* harness()
      const file = yield* write("a.wav", "aaa")
      // 30 models, each needs its own policy: 30 policy requests
      const fiber = yield* Effect.fork(
        Effect.forEach(
          Array.from({ length: 30 }, (_, i) => `qwen3-asr-flash-filetrans-2025-11-${String(i).padStart(2, "0")}`),
          (model) => stager.stage(file, { model }),
          { concurrency: "unbounded" }
        )
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual((yield* seen).filter((r) => r.url.includes("getPolicy")).length, 30)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("builds a multipart body whose content length is exact", () =>
    Effect.gen(function*() {
      const file = new TextEncoder().encode("0123456789")
      const form = TempUpload.multipart({
        fields: [["a", "1"], ["b", "two"]],
        fileName: "x.wav",
        fileType: "audio/wav",
        fileSize: file.byteLength,
        file: Stream.make(file),
        boundary: "B"
      })
      const bytes = Chunk.toReadonlyArray(yield* Stream.runCollect(form.body)).reduce(
        (n, part) => n + part.byteLength,
        0
      )
      assert.strictEqual(form.contentLength, bytes)
      assert.strictEqual(form.contentType, "multipart/form-data; boundary=B")
    }))

  it("sanitizes object names", () => {
    assert.strictEqual(TempUpload.sanitizeName("会议 录音.wav"), "wav")
    assert.strictEqual(TempUpload.sanitizeName("a b/c.mp3"), "a_b_c.mp3")
    assert.strictEqual(TempUpload.sanitizeName(".."), "audio")
  })
})
