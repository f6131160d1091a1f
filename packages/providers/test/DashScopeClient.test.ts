import { RetryPolicy } from "@asrflow/core/RetryPolicy"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Redacted, Ref, TestClock } from "effect"
import * as DashScopeClient from "../src/DashScopeClient.js"
import * as Errors from "../src/internal/errors.js"
import * as FakeHttp from "./utils/FakeHttp.js"

const key = Redacted.make("sk-test-secret-0123456789")

const run = <A>(
  respond: Parameters<typeof FakeHttp.make>[0],
  use: (client: DashScopeClient.DashScopeClient.Service) => Effect.Effect<A, TranscriptionError>,
  options: Partial<DashScopeClient.Options> = {}
) =>
  Effect.gen(function*() {
    const fake = yield* FakeHttp.make(respond)
    const client = yield* DashScopeClient.make({ apiKey: key, ...options }).pipe(
      Effect.provideService(HttpClient.HttpClient, fake.client)
    )
    const exit = yield* Effect.exit(use(client))
    return { exit, requests: yield* fake.requests, count: yield* fake.count }
  })

const failureOf = <A>(exit: Exit.Exit<A, TranscriptionError>): TranscriptionError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a Fail cause, got ${exit.cause._tag}`)
  return failure
}

const nativeBody = { model: "qwen3-asr-flash", input: { messages: [] } }
const compatBody = { model: "qwen3-asr-flash", messages: [], stream: false } as const

describe("DashScopeClient", () => {
  describe("error mapping", () => {
    const cases: ReadonlyArray<
      [string, number, unknown, TranscriptionError["reason"], string | undefined, boolean]
    > = [
      [
        "native 400 InvalidParameter",
        400,
        { code: "InvalidParameter", message: "bad", request_id: "r1" },
        "InvalidRequest",
        "InvalidParameter",
        false
      ],
      [
        "compat 400 invalid_parameter_error",
        400,
        {
          error: {
            code: "invalid_parameter_error",
            message: "<400> InternalError.Algo.InvalidParameter: x",
            type: "invalid_request_error"
          },
          request_id: "r1"
        },
        "InvalidRequest",
        "invalid_parameter_error",
        false
      ],
      [
        "native 400 DataInspectionFailed",
        400,
        { code: "DataInspectionFailed", message: "x", request_id: "r1" },
        "InvalidRequest",
        "DataInspectionFailed",
        false
      ],
      [
        "native 400 Arrearage",
        400,
        { code: "Arrearage", message: "Access denied", request_id: "r1" },
        "QuotaExhausted",
        "Arrearage",
        false
      ],
      [
        "native 401 InvalidApiKey",
        401,
        { code: "InvalidApiKey", message: "Invalid API-key provided.", request_id: "r1" },
        "Unauthorized",
        "InvalidApiKey",
        false
      ],
      [
        "compat 401 invalid_api_key",
        401,
        {
          error: { code: "invalid_api_key", message: "Incorrect API key provided.", type: "invalid_request_error" },
          request_id: "r1"
        },
        "Unauthorized",
        "invalid_api_key",
        false
      ],
      [
        "native 403 AccessDenied",
        403,
        { code: "AccessDenied", message: "denied", request_id: "r1" },
        "Forbidden",
        "AccessDenied",
        false
      ],
      [
        "native 403 Model.AccessDenied",
        403,
        { code: "Model.AccessDenied", message: "denied", request_id: "r1" },
        "Forbidden",
        "Model.AccessDenied",
        false
      ],
      [
        "native 404 ModelNotFound",
        404,
        { code: "ModelNotFound", message: "no", request_id: "r1" },
        "InvalidRequest",
        "ModelNotFound",
        false
      ],
      [
        "native 408 RequestTimeOut",
        408,
        { code: "RequestTimeOut", message: "later", request_id: "r1" },
        "Timeout",
        "RequestTimeOut",
        true
      ],
      [
        "native 413 BadRequest.TooLarge",
        413,
        { code: "BadRequest.TooLarge", message: "Payload Too Large.", request_id: "r1" },
        "InvalidRequest",
        "BadRequest.TooLarge",
        false
      ],
      [
        "native 415 UnsupportedFileFormat",
        415,
        { code: "BadRequest.UnsupportedFileFormat", message: "no", request_id: "r1" },
        "InvalidAudio",
        "BadRequest.UnsupportedFileFormat",
        false
      ],
      [
        "native 415 InputDownloadFailed",
        415,
        { code: "BadRequest.InputDownloadFailed", message: "no", request_id: "r1" },
        "InvalidAudio",
        "BadRequest.InputDownloadFailed",
        false
      ],
      [
        "native 429 Throttling",
        429,
        { code: "Throttling", message: "Requests rate limit exceeded", request_id: "r1" },
        "Throttled",
        "Throttling",
        true
      ],
      [
        "native 429 Throttling.RateQuota",
        429,
        { code: "Throttling.RateQuota", message: "x", request_id: "r1" },
        "Throttled",
        "Throttling.RateQuota",
        true
      ],
      [
        "compat 429 limit_requests",
        429,
        {
          error: {
            code: "limit_requests",
            message: "You have exceeded your current request limit.",
            type: "limit_requests"
          },
          request_id: "r1"
        },
        "Throttled",
        "limit_requests",
        true
      ],
      [
        "native 429 Throttling.AllocationQuota",
        429,
        { code: "Throttling.AllocationQuota", message: "Allocated quota exceeded", request_id: "r1" },
        "QuotaExhausted",
        "Throttling.AllocationQuota",
        false
      ],
      [
        "compat 429 insufficient_quota",
        429,
        { error: { code: "insufficient_quota", message: "quota", type: "insufficient_quota" }, request_id: "r1" },
        "QuotaExhausted",
        "insufficient_quota",
        false
      ],
      [
        "native 429 PrepaidBillOverdue",
        429,
        { code: "PrepaidBillOverdue", message: "x", request_id: "r1" },
        "QuotaExhausted",
        "PrepaidBillOverdue",
        false
      ],
      [
        "native 429 PostpaidBillOverdue",
        429,
        { code: "PostpaidBillOverdue", message: "x", request_id: "r1" },
        "QuotaExhausted",
        "PostpaidBillOverdue",
        false
      ],
      [
        "native 429 CommodityNotPurchased",
        429,
        { code: "CommodityNotPurchased", message: "x", request_id: "r1" },
        "QuotaExhausted",
        "CommodityNotPurchased",
        false
      ],
      [
        "native 500 InternalError",
        500,
        { code: "InternalError", message: "x", request_id: "r1" },
        "ServerError",
        "InternalError",
        true
      ],
      [
        "compat 500 internal_error",
        500,
        { error: { code: "internal_error", message: "x", type: "internal_error" }, request_id: "r1" },
        "ServerError",
        "internal_error",
        true
      ],
      [
        "native 503 ModelUnavailable",
        503,
        { code: "ModelUnavailable", message: "x", request_id: "r1" },
        "ServerError",
        "ModelUnavailable",
        true
      ],
      ["non-JSON 502", 502, "<html>bad gateway</html>", "ServerError", undefined, true]
    ]
    for (const [name, status, body, reason, code, retryable] of cases) {
      it.effect(`maps ${name} to ${reason}`, () =>
        Effect.gen(function*() {
          const { exit } = yield* run(
            () =>
              typeof body === "string"
                ? new Response(body, { status, headers: { "x-request-id": "hdr-1" } })
                : FakeHttp.json(status, body),
            (client) => client.postNative(nativeBody as any, { input: "a.wav" })
          )
          const error = failureOf(exit)
          assert.strictEqual(error.reason, reason)
          assert.strictEqual(error.status, status)
          assert.strictEqual(error.code, code)
          assert.strictEqual(error.input, "a.wav")
          assert.strictEqual(error.requestId, typeof body === "string" ? "hdr-1" : "r1")
          assert.strictEqual(error.isRetryable, retryable)
        }))
    }

    it.effect("hints that keys are region-bound on a 401", () =>
      Effect.gen(function*() {
        const { exit } = yield* run(
          () => FakeHttp.json(401, { code: "InvalidApiKey", message: "Invalid API-key provided.", request_id: "r9" }),
          (client) => client.getTask("t1")
        )
        const error = failureOf(exit)
        assert.include(error.message, "bound to a region")
        assert.include(error.message, "request r9")
        assert.isTrue(error.isFatal)
        assert.notInclude(error.message, Redacted.value(key))
      }))

    it.effect("maps the compat error envelope on the compatible endpoint too", () =>
      Effect.gen(function*() {
        const { exit } = yield* run(
          () =>
            FakeHttp.json(401, {
              error: { code: "invalid_api_key", message: "Incorrect API key provided." },
              request_id: "c1"
            }),
          (client) => client.postCompatible(compatBody)
        )
        const error = failureOf(exit)
        assert.strictEqual(error.reason, "Unauthorized")
        assert.strictEqual(error.requestId, "c1")
      }))

    it.effect("reads Retry-After in seconds and as an HTTP date", () =>
      Effect.gen(function*() {
        const seconds = yield* run(
          () => FakeHttp.json(429, { code: "Throttling", message: "x" }, { "retry-after": "7" }),
          (client) => client.getTask("t")
        )
        assert.strictEqual(failureOf(seconds.exit).retryAfterMs, 7000)
        // TestClock starts at 0, so an HTTP date 30 s after the epoch is 30 s away
        const date = yield* run(
          () => FakeHttp.json(503, { code: "ModelUnavailable" }, { "retry-after": new Date(30_000).toUTCString() }),
          (client) => client.getTask("t")
        )
        assert.strictEqual(failureOf(date.exit).retryAfterMs, 30_000)
        assert.strictEqual(Errors.parseRetryAfter("soon", 0), undefined)
      }))

    it.effect("maps a transport failure to Transport", () =>
      Effect.gen(function*() {
        const failing = HttpClient.make((request) =>
          Effect.fail(
            new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("ECONNREFUSED") })
          )
        )
        const client = yield* DashScopeClient.make({ apiKey: key }).pipe(
          Effect.provideService(HttpClient.HttpClient, failing)
        )
        const error = failureOf(yield* Effect.exit(client.getTask("t")))
        assert.strictEqual(error.reason, "Transport")
        assert.isTrue(error.isRetryable)
      }))

    it.effect("maps a body that breaks off mid-read to Transport", () =>
      Effect.gen(function*() {
        const { exit } = yield* run(
          () =>
            new Response(
              new ReadableStream({
                start(controller) {
                  controller.enqueue(new TextEncoder().encode("{\"request_id\":\"x\",\"output\":{"))
                  controller.error(new Error("ECONNRESET"))
                }
              }),
              { status: 200 }
            ),
          (client) => client.getTask("t")
        )
        const error = failureOf(exit)
        assert.strictEqual(error.reason, "Transport")
        assert.isTrue(error.isRetryable)
      }))

    it.effect("maps a 200 with an unexpected body to Decode", () =>
      Effect.gen(function*() {
        const { exit } = yield* run(
          () => FakeHttp.json(200, { nothing: true }, { "x-request-id": "h2" }),
          (client) => client.getTask("t")
        )
        const error = failureOf(exit)
        assert.strictEqual(error.reason, "Decode")
        assert.strictEqual(error.requestId, "h2")
      }))

    it.effect("maps a request that outlives its timeout to Timeout", () =>
      Effect.gen(function*() {
        const slow = HttpClient.make(() => Effect.never)
        const client = yield* DashScopeClient.make({ apiKey: key, timeoutMs: 5000 }).pipe(
          Effect.provideService(HttpClient.HttpClient, slow)
        )
        const fiber = yield* Effect.fork(Effect.exit(client.getTask("t")))
        yield* TestClock.adjust("6 seconds")
        const error = failureOf(yield* Fiber.join(fiber))
        assert.strictEqual(error.reason, "Timeout")
        assert.isTrue(error.isRetryable)
      }))
  })

  describe("requests", () => {
    it.effect("sends bearer auth, the workspace header and the region's URLs", () =>
      Effect.gen(function*() {
        const { requests } = yield* run(
          () => FakeHttp.json(200, { request_id: "r", output: { task_id: "t1", task_status: "PENDING" } }),
          (client) =>
            Effect.all([
              client.submitTask({ model: "qwen3-asr-flash-filetrans", input: { file_url: "oss://k" } }, {
                ossResolve: true
              }),
              client.getTask("t1"),
              client.postCompatible(compatBody).pipe(Effect.ignore)
            ]),
          { region: "ap-southeast-1", workspace: "ws-1" }
        )
        assert.strictEqual(
          requests[0].url,
          "https://dashscope-intl.aliyuncs.com/api/v1/services/audio/asr/transcription"
        )
        assert.strictEqual(requests[0].headers["authorization"], `Bearer ${Redacted.value(key)}`)
        assert.strictEqual(requests[0].headers["x-dashscope-async"], "enable")
        assert.strictEqual(requests[0].headers["x-dashscope-ossresourceresolve"], "enable")
        assert.strictEqual(requests[0].headers["x-dashscope-workspace"], "ws-1")
        assert.strictEqual(requests[1].url, "https://dashscope-intl.aliyuncs.com/api/v1/tasks/t1")
        assert.strictEqual(requests[1].method, "GET")
        assert.isUndefined(requests[1].headers["x-dashscope-async"])
        assert.strictEqual(requests[2].url, "https://dashscope-intl.aliyuncs.com/compatible-mode/v1/chat/completions")
      }))

    it.effect("has no compatible endpoint in us-east-1", () =>
      Effect.gen(function*() {
        const { count, exit } = yield* run(
          () => FakeHttp.json(200, {}),
          (client) => client.postCompatible(compatBody),
          {
            region: "us-east-1"
          }
        )
        assert.strictEqual(failureOf(exit).reason, "InvalidRequest")
        assert.strictEqual(count, 0)
      }))

    it.effect("honours base URL overrides, lists tasks and gets an upload policy", () =>
      Effect.gen(function*() {
        const { exit, requests } = yield* run(
          (request) =>
            request.url.includes("/uploads")
              ? FakeHttp.json(200, {
                request_id: "u",
                data: {
                  policy: "p",
                  signature: "s",
                  upload_dir: "dashscope-instant/x",
                  upload_host: "http://127.0.0.1:1/oss",
                  expire_in_seconds: 300,
                  oss_access_key_id: "ak"
                }
              })
              : FakeHttp.json(200, { request_id: "l", total: 1, data: [{ task_id: "t1", status: "RUNNING" }] }),
          (client) =>
            Effect.all([
              client.listTasks({ model_name: "qwen3-asr-flash-filetrans", page_no: 1 }),
              client.getUploadPolicy("qwen3-asr-flash-filetrans")
            ]),
          { httpBaseUrl: "http://127.0.0.1:9/api/v1/" }
        )
        assert.isTrue(Exit.isSuccess(exit))
        assert.strictEqual(
          requests[0].url,
          "http://127.0.0.1:9/api/v1/tasks?model_name=qwen3-asr-flash-filetrans&page_no=1"
        )
        assert.strictEqual(
          requests[1].url,
          "http://127.0.0.1:9/api/v1/uploads?action=getPolicy&model=qwen3-asr-flash-filetrans"
        )
        if (Exit.isSuccess(exit)) {
          assert.strictEqual(exit.value[0].value.data[0].task_id, "t1")
          assert.strictEqual(exit.value[1].value.data.upload_host, "http://127.0.0.1:1/oss")
        }
      }))

    it.effect("sends no credentials through the unauthenticated client", () =>
      Effect.gen(function*() {
        const fake = yield* FakeHttp.make(() => new Response("", { status: 200 }))
        const client = yield* DashScopeClient.make({ apiKey: key, workspace: "ws" }).pipe(
          Effect.provideService(HttpClient.HttpClient, fake.client)
        )
        yield* client.unauthenticated.get("http://127.0.0.1:1/oss/result.json").pipe(Effect.orDie)
        const [request] = yield* fake.requests
        assert.isUndefined(request.headers["authorization"])
        assert.isUndefined(request.headers["x-dashscope-workspace"])
      }))
  })

  describe("streams", () => {
    const compatChunk = (delta: unknown, extra: Record<string, unknown> = {}) =>
      `data: ${
        JSON.stringify({
          id: "chatcmpl-X",
          object: "chat.completion.chunk",
          usage: null,
          choices: [{ index: 0, delta }],
          ...extra
        })
      }\n\n`

    it.effect("collects compatible-mode chunks up to [DONE]", () =>
      Effect.gen(function*() {
        const { exit, requests } = yield* run(
          () =>
            FakeHttp.sse([
              compatChunk({ content: "", role: "assistant" }),
              compatChunk({ content: "Hel", role: null }),
              compatChunk({ content: "lo", role: null }),
              `data: ${JSON.stringify({ id: "chatcmpl-X", choices: [], usage: { seconds: 2 } })}\n\n`,
              "data: [DONE]\n\n"
            ]),
          (client) => client.streamCompatible({ ...compatBody, stream: true })
        )
        assert.isTrue(Exit.isSuccess(exit))
        if (Exit.isSuccess(exit)) {
          assert.strictEqual(exit.value.value.length, 4)
          assert.strictEqual((exit.value.raw as Array<unknown>).length, 4)
          assert.deepStrictEqual(exit.value.value.map((c) => c.choices[0]?.delta.content ?? null), [
            "",
            "Hel",
            "lo",
            null
          ])
        }
        assert.strictEqual(requests[0].headers["accept"], "text/event-stream")
        assert.isUndefined(requests[0].headers["x-dashscope-sse"])
      }))

    it.effect("fails on an error inside a compatible stream", () =>
      Effect.gen(function*() {
        const { exit } = yield* run(
          () =>
            FakeHttp.sse([
              compatChunk({ content: "Hel", role: null }),
              `data: ${
                JSON.stringify({
                  error: { code: "limit_requests", message: "slow down" },
                  id: "chatcmpl-X",
                  request_id: "s1"
                })
              }\n\n`
            ]),
          (client) => client.streamCompatible({ ...compatBody, stream: true })
        )
        const error = failureOf(exit)
        assert.strictEqual(error.reason, "Throttled")
        assert.strictEqual(error.requestId, "s1")
      }))

    it.effect("fails on a flat event:error in a compatible stream", () =>
      Effect.gen(function*() {
        const { exit } = yield* run(
          () =>
            FakeHttp.sse([
              `event: error\ndata: ${
                JSON.stringify({ code: "invalid_model_error", message: "no", request_id: "s2" })
              }\n\n`
            ]),
          (client) => client.streamCompatible({ ...compatBody, stream: true })
        )
        assert.strictEqual(failureOf(exit).reason, "InvalidRequest")
      }))

    it.effect("collects native SSE events, which have no [DONE] sentinel", () =>
      Effect.gen(function*() {
        const event = (id: number, text: string, finish: string) =>
          `id:${id}\nevent:result\n:HTTP_STATUS/200\ndata:${
            JSON.stringify({
              output: { choices: [{ message: { content: [{ text }], role: "assistant" }, finish_reason: finish }] },
              usage: { seconds: 1 },
              request_id: "n1"
            })
          }\n\n`
        const { exit, requests } = yield* run(
          () => FakeHttp.sse([event(1, "Hel", "null"), event(2, "lo.", "stop")]),
          (client) => client.streamNative(nativeBody as any)
        )
        assert.isTrue(Exit.isSuccess(exit))
        if (Exit.isSuccess(exit)) {
          assert.strictEqual(exit.value.value.length, 2)
          assert.strictEqual(exit.value.requestId, "n1")
        }
        assert.strictEqual(requests[0].headers["x-dashscope-sse"], "enable")
      }))

    it.effect("fails on a native event:error with the declared status", () =>
      Effect.gen(function*() {
        const { exit } = yield* run(
          () =>
            FakeHttp.sse([
              `id:1\nevent:error\n:HTTP_STATUS/400\ndata:${
                JSON.stringify({ code: "InvalidParameter", message: "bad", request_id: "e1" })
              }\n\n`
            ]),
          (client) => client.streamNative(nativeBody as any)
        )
        const error = failureOf(exit)
        assert.strictEqual(error.reason, "InvalidRequest")
        assert.strictEqual(error.status, 400)
        assert.strictEqual(error.code, "InvalidParameter")
        assert.strictEqual(error.requestId, "e1")
      }))

    it.effect("times out a stream that stalls between events, not one that is merely long", () =>
      Effect.gen(function*() {
        const stalled = HttpClient.make((request) =>
          Effect.succeed(HttpClientResponse.fromWeb(
            request,
            new Response(
              new ReadableStream({
                start(controller) {
                  controller.enqueue(new TextEncoder().encode(`data: ${JSON.stringify({ choices: [] })}\n\n`))
                }
              }),
              { status: 200, headers: { "content-type": "text/event-stream" } }
            )
          ))
        )
        const client = yield* DashScopeClient.make({ apiKey: key, timeoutMs: 5000 }).pipe(
          Effect.provideService(HttpClient.HttpClient, stalled)
        )
        const fiber = yield* Effect.fork(Effect.exit(client.streamCompatible({ ...compatBody, stream: true })))
        yield* TestClock.adjust("4 seconds")
        assert.isNull(fiber.unsafePoll())
        yield* TestClock.adjust("2 seconds")
        const error = failureOf(yield* Fiber.join(fiber))
        assert.strictEqual(error.reason, "Timeout")
        assert.include(error.message, "stalled")
      }))

    it.effect("maps a non-200 stream response like any other", () =>
      Effect.gen(function*() {
        const { exit } = yield* run(
          () => FakeHttp.json(429, { code: "Throttling", message: "x", request_id: "q" }),
          (client) => client.streamNative(nativeBody as any)
        )
        assert.strictEqual(failureOf(exit).reason, "Throttled")
      }))
  })

  describe("withRetry", () => {
    it.effect("retries retryable errors and stops at non-retryable ones", () =>
      Effect.gen(function*() {
        const calls = yield* Ref.make(0)
        const policy = new RetryPolicy({ attempts: 3, initial_backoff_ms: 100, max_backoff_ms: 1000, jitter: false })
        const failing = (reason: TranscriptionError["reason"]) =>
          Ref.update(calls, (n) => n + 1).pipe(
            Effect.zipRight(Effect.fail(new TranscriptionError({ provider: "qwen", input: "x", reason })))
          )
        const fiber = yield* Effect.fork(Effect.exit(failing("ServerError").pipe(DashScopeClient.withRetry(policy))))
        yield* TestClock.adjust("10 seconds")
        assert.strictEqual(failureOf(yield* Fiber.join(fiber)).reason, "ServerError")
        assert.strictEqual(yield* Ref.get(calls), 4)
        yield* Ref.set(calls, 0)
        const exit = yield* Effect.exit(failing("Unauthorized").pipe(DashScopeClient.withRetry(policy)))
        assert.strictEqual(failureOf(exit).reason, "Unauthorized")
        assert.strictEqual(yield* Ref.get(calls), 1)
      }))
  })
})
