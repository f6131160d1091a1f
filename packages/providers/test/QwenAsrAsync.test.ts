import { AudioItem } from "@asrflow/core/AudioItem"
import * as Policies from "@asrflow/core/Policies"
import { TranscriptionError } from "@asrflow/core/Transcriber"
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit, Fiber, Redacted, Ref, Schema, TestClock } from "effect"
import * as DashScopeClient from "../src/DashScopeClient.js"
import * as QwenAsrAsync from "../src/QwenAsrAsync.js"
import * as QwenConfig from "../src/QwenConfig.js"
import * as SubmitRecovery from "../src/SubmitRecovery.js"
import * as TaskPoller from "../src/TaskPoller.js"
import * as FakeHttp from "./utils/FakeHttp.js"

// =============================================================================
// Fixtures
// =============================================================================

const base = "http://fake.test/api/v1"
const resultUrl = "http://oss.fake.test/result/t1.json?Expires=1&OSSAccessKeyId=AK&Signature=s"

const config = (fields: Record<string, unknown> = {}) =>
  QwenConfig.decode({
    type: "qwen",
    model: "qwen3-asr-flash-filetrans",
    poll: { initial_interval_ms: 1, max_interval_ms: 2, timeout_secs: 30 },
    retry: { attempts: 2, initial_backoff_ms: 1, max_backoff_ms: 2, jitter: false },
    ...fields
  })

const urlItem = (source = "https://audio.example/meeting.wav") =>
  new AudioItem({ id: source, source, kind: "url", outputKey: "meeting", origin: "test", durationMs: 6000 })

const submitted = (taskId = "t1") => ({ request_id: "req-submit", output: { task_id: taskId, task_status: "PENDING" } })

const status = (taskStatus: string, output: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  request_id: `req-${taskStatus}`,
  output: { task_id: "t1", task_status: taskStatus, submit_time: "2026-01-01 10:00:00.000", ...output },
  ...extra
})

const succeeded = (result: Record<string, unknown> = { result: { transcription_url: resultUrl } }) =>
  status("SUCCEEDED", result, { usage: { seconds: 6 } })

const document = (fileUrl: string, words = false) => ({
  file_url: fileUrl,
  audio_info: { format: "wav", sample_rate: 16000 },
  transcripts: [{
    channel_id: 0,
    text: "Hello world. Good morning.",
    sentences: [
      {
        sentence_id: 0,
        begin_time: 100,
        end_time: 1500,
        text: "Hello world.",
        language: "en",
        emotion: "neutral",
        ...(words
          ? {
            words: [
              { begin_time: 100, end_time: 700, text: "Hello", punctuation: "" },
              { begin_time: 800, end_time: 1500, text: "world", punctuation: "." }
            ]
          }
          : {})
      },
      { sentence_id: 1, begin_time: 1700, end_time: 3000, text: "Good morning.", language: "en", emotion: "happy" }
    ]
  }]
})

type Respond = (request: HttpClientRequest.HttpClientRequest, url: URL, n: number) => Response | "reset"

/** A fake HTTP layer that can also drop the connection ("reset") after a request was sent. */
const fakeClient = (respond: Respond) =>
  Effect.gen(function*() {
    const seen = yield* Ref.make<
      Array<{ method: string; url: string; headers: Record<string, string>; body: unknown }>
    >(
      []
    )
    const client = HttpClient.make((request, url) =>
      Effect.gen(function*() {
        const all = yield* Ref.updateAndGet(seen, (list) => [...list, {
          method: request.method,
          url: url.toString(),
          headers: { ...request.headers },
          body: request.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(request.body.body)) : undefined
        }])
        const answer = respond(request, url, all.length)
        if (answer === "reset") {
          return yield* Effect.fail(
            new HttpClientError.RequestError({
              request,
              reason: "Transport",
              cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
            })
          )
        }
        return HttpClientResponse.fromWeb(request, answer)
      })
    )
    return { client, seen: Ref.get(seen) }
  })

const harness = (fields: Record<string, unknown>, respond: Respond) =>
  Effect.gen(function*() {
    const fake = yield* fakeClient(respond)
    const client = yield* DashScopeClient.make({ apiKey: Redacted.make("sk-unit-secret"), httpBaseUrl: base }).pipe(
      Effect.provideService(HttpClient.HttpClient, fake.client)
    )
    const transcriber = yield* QwenAsrAsync.make(config(fields)).pipe(
      Effect.provideService(DashScopeClient.DashScopeClient, client),
      Effect.provide(NodeContext.layer)
    )
    return { transcriber, seen: fake.seen }
  })

const path = (url: URL) => url.pathname

/** Routes: submit → t1; task queries answer `answers` in turn (the last one repeats); the result → doc. */
const route = (options: {
  readonly answers: ReadonlyArray<unknown>
  readonly doc?: unknown
  readonly result?: () => Response
  readonly submit?: (n: number) => Response | "reset"
  readonly list?: unknown
}): Respond => {
  let queries = 0
  let submits = 0
  return (request, url) => {
    if (path(url).endsWith("/services/audio/asr/transcription")) {
      submits++
      return options.submit ? options.submit(submits) : FakeHttp.json(200, submitted())
    }
    if (path(url) === "/api/v1/tasks") return FakeHttp.json(200, options.list ?? { data: [] })
    if (path(url).startsWith("/api/v1/tasks/")) {
      const answer = options.answers[Math.min(queries, options.answers.length - 1)]
      queries++
      return FakeHttp.json(200, answer)
    }
    if (url.host === "oss.fake.test") {
      return options.result ? options.result() : FakeHttp.json(200, options.doc ?? document("x"))
    }
    return FakeHttp.json(404, { code: "NotFound", message: `${request.method} ${url}` })
  }
}

const failureOf = <A>(exit: Exit.Exit<A, TranscriptionError>): TranscriptionError => {
  assert.isTrue(Exit.isFailure(exit))
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  assert.instanceOf(error, TranscriptionError)
  return error!
}

// =============================================================================
// Tests
// =============================================================================

describe("QwenAsrAsync", () => {
  it.live("submits exactly the documented body, polls, downloads without auth and maps the document", () =>
    Effect.gen(function*() {
      const item = urlItem()
      const { seen, transcriber } = yield* harness({
        language_hints: ["en"],
        enable_itn: true,
        timestamp_granularities: ["sentence", "word"],
        channel_id: [0],
        vocabulary_id: "vocab-1",
        disfluency_removal_enabled: true,
        context: "a meeting"
      }, route({ answers: [status("PENDING"), status("RUNNING"), succeeded()], doc: document(item.source, true) }))
      const transcript = yield* transcriber.transcribe(item)
      const requests = yield* seen
      const submit = requests.find((r) => r.url.endsWith("/services/audio/asr/transcription"))!
      assert.deepStrictEqual(submit.body, {
        model: "qwen3-asr-flash-filetrans",
        input: { file_url: item.source },
        parameters: { channel_id: [0], language: "en", enable_itn: true, enable_words: true }
      })
      assert.strictEqual(submit.headers["x-dashscope-async"], "enable")
      assert.isUndefined(submit.headers["x-dashscope-ossresourceresolve"])
      assert.strictEqual(submit.headers["authorization"], "Bearer sk-unit-secret")
      const download = requests.find((r) => r.url.startsWith("http://oss.fake.test/"))!
      assert.isUndefined(download.headers["authorization"])
      assert.strictEqual(requests.filter((r) => r.url.includes("/tasks/t1")).length, 3)

      assert.strictEqual(transcript.text, "Hello world. Good morning.")
      assert.strictEqual(transcript.status, "SUCCEEDED")
      assert.strictEqual(transcript.taskId, "t1")
      assert.strictEqual(transcript.usageSeconds, 6)
      assert.strictEqual(transcript.language, "en")
      assert.strictEqual(transcript.emotion, "neutral")
      assert.deepStrictEqual(transcript.sentences.map((s) => [s.id, s.beginMs, s.endMs]), [[0, 100, 1500], [
        1,
        1700,
        3000
      ]])
      assert.deepStrictEqual(transcript.sentences[0]!.words!.map((w) => [w.text, w.punctuation]), [["Hello", ""], [
        "world",
        "."
      ]])
      assert.isUndefined(transcript.sentences[1]!.words)
      assert.deepStrictEqual(transcript.channels.map((c) => c.text), ["Hello world. Good morning."])
      assert.deepStrictEqual(transcript.evidence.map((e) => e.phase), ["submit", "poll", "result"])
      assert.deepStrictEqual(transcript.evidence[0]!.body, submitted())
      assert.deepStrictEqual(transcript.evidence[1]!.body, transcript.raw)
      assert.deepStrictEqual(transcript.evidence[2]!.body, document(item.source, true))
      assert.strictEqual((transcript.raw as { request_id: string }).request_id, "req-SUCCEEDED")
      assert.isTrue(transcript.warnings.some((w) => w.includes("vocabulary_id")))
      assert.isTrue(transcript.warnings.some((w) => w.includes("disfluency_removal_enabled")))
      assert.isTrue(transcript.warnings.some((w) => w.includes("context is not sent")))
    }))

  it.live("sends no parameters it was not given, and several language hints are not sent", () =>
    Effect.gen(function*() {
      const item = urlItem()
      const { seen, transcriber } = yield* harness(
        { language_hints: ["en", "zh"] },
        route({ answers: [succeeded()], doc: document(item.source) })
      )
      const transcript = yield* transcriber.transcribe(item)
      const submit = (yield* seen).find((r) => r.url.endsWith("/services/audio/asr/transcription"))!
      assert.deepStrictEqual(submit.body, { model: "qwen3-asr-flash-filetrans", input: { file_url: item.source } })
      assert.isTrue(transcript.warnings.some((w) => w.includes("exactly one language")))
      assert.isUndefined(transcript.sentences[0]!.words)
    }))

  it.live("a FAILED task is a TaskFailed error with the task's code and message", () =>
    Effect.gen(function*() {
      const { transcriber } = yield* harness(
        {},
        route({ answers: [status("RUNNING"), status("FAILED", { code: "FILE_403_FORBIDDEN", message: "no access" })] })
      )
      const error = failureOf(yield* Effect.exit(transcriber.transcribe(urlItem())))
      assert.strictEqual(error.reason, "TaskFailed")
      assert.strictEqual(error.code, "FILE_403_FORBIDDEN")
      assert.strictEqual(error.taskId, "t1")
      assert.include(error.message, "FILE_403_FORBIDDEN")
      assert.include(error.message, "no access")
      assert.include(error.message, "the service could not fetch the audio from its URL")
    }))

  it.live("an UNKNOWN task is TaskLost", () =>
    Effect.gen(function*() {
      const { transcriber } = yield* harness({}, route({ answers: [status("UNKNOWN")] }))
      const error = failureOf(yield* Effect.exit(transcriber.transcribe(urlItem())))
      assert.strictEqual(error.reason, "TaskLost")
      assert.strictEqual(error.taskId, "t1")
    }))

  it.live("falls back to output.results[0].transcription_url", () =>
    Effect.gen(function*() {
      const item = urlItem()
      const { transcriber } = yield* harness(
        {},
        route({
          answers: [succeeded({ results: [{ file_url: item.source, transcription_url: resultUrl }] })],
          doc: document(item.source)
        })
      )
      const transcript = yield* transcriber.transcribe(item)
      assert.strictEqual(transcript.sentences.length, 2)
    }))

  it.live("an expired result URL (OSS 403 XML) is a clear error naming the task", () =>
    Effect.gen(function*() {
      const { transcriber } = yield* harness(
        {},
        route({
          answers: [succeeded()],
          result: () =>
            new Response(
              "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Request has expired.</Message></Error>",
              { status: 403, headers: { "content-type": "application/xml" } }
            )
        })
      )
      const error = failureOf(yield* Effect.exit(transcriber.transcribe(urlItem())))
      assert.strictEqual(error.reason, "TaskLost")
      assert.strictEqual(error.code, "ResultExpired")
      assert.strictEqual(error.taskId, "t1")
      assert.include(error.message, "expired")
    }))

  it.live("retries a submit the server refused (503), since it was not accepted", () =>
    Effect.gen(function*() {
      const item = urlItem()
      const { seen, transcriber } = yield* harness(
        {},
        route({
          answers: [succeeded()],
          doc: document(item.source),
          submit: (n) =>
            n === 1
              ? FakeHttp.json(503, { code: "ModelUnavailable", message: "try later" })
              : FakeHttp.json(200, submitted())
        })
      )
      yield* transcriber.transcribe(item)
      const submits = (yield* seen).filter((r) => r.url.endsWith("/services/audio/asr/transcription"))
      assert.strictEqual(submits.length, 2)
    }))

  it.live("after a connection reset on submit, finds the task by listing instead of submitting again", () =>
    Effect.gen(function*() {
      const item = urlItem()
      const { seen, transcriber } = yield* harness(
        {},
        route({
          answers: [succeeded()],
          doc: document(item.source),
          submit: () => "reset",
          list: { total: 1, total_page: 1, data: [{ task_id: "t1", status: "SUCCEEDED" }] }
        })
      )
      const transcript = yield* transcriber.transcribe(item)
      assert.strictEqual(transcript.taskId, "t1")
      const requests = yield* seen
      assert.strictEqual(requests.filter((r) => r.url.endsWith("/services/audio/asr/transcription")).length, 1)
      const list = new URL(requests.find((r) => new URL(r.url).pathname === "/api/v1/tasks")!.url)
      assert.strictEqual(list.searchParams.get("model_name"), "qwen3-asr-flash-filetrans")
      assert.match(list.searchParams.get("start_time")!, /^\d{14}$/)
    }))

  it.live("after a connection reset, resubmits only when no listed task matches the file", () =>
    Effect.gen(function*() {
      const item = urlItem()
      const { seen, transcriber } = yield* harness(
        {},
        route({
          answers: [succeeded()],
          doc: document("https://audio.example/someone-else.wav"),
          submit: (n) => n === 1 ? "reset" : FakeHttp.json(200, submitted()),
          list: { total: 1, total_page: 1, data: [{ task_id: "t1", status: "SUCCEEDED" }] }
        })
      )
      yield* Effect.exit(transcriber.transcribe(item))
      const submits = (yield* seen).filter((r) => r.url.endsWith("/services/audio/asr/transcription"))
      assert.strictEqual(submits.length, 2)
    }))

  it.live("rejects a sync model", () =>
    Effect.gen(function*() {
      const { seen, transcriber } = yield* harness({ model: "qwen3-asr-flash" }, route({ answers: [] }))
      const error = failureOf(yield* Effect.exit(transcriber.transcribe(urlItem())))
      assert.strictEqual(error.reason, "InvalidRequest")
      assert.strictEqual((yield* seen).length, 0)
    }))

  it("routes dated filetrans snapshots as filetrans", () => {
    assert.isTrue(QwenAsrAsync.isFiletrans("qwen3-asr-flash-filetrans-2025-11-17"))
    assert.isTrue(QwenAsrAsync.isFiletrans("qwen3-asr-flash-filetrans-2030-01-01"))
    assert.isFalse(QwenAsrAsync.isFiletrans("qwen3-asr-flash"))
  })

  it("classifies submit failures: HTTP errors and refused connections were not accepted, resets are unknown", () => {
    const error = (fields: Partial<ConstructorParameters<typeof TranscriptionError>[0]>) =>
      new TranscriptionError({ provider: "qwen", input: "x", reason: "Transport", ...fields })
    assert.isTrue(SubmitRecovery.isUnaccepted(error({ reason: "ServerError", status: 503 })))
    assert.isTrue(SubmitRecovery.isUnaccepted(error({ reason: "Throttled", status: 429 })))
    assert.isTrue(SubmitRecovery.isUnaccepted(error({ cause: { code: "ECONNREFUSED" } })))
    assert.isTrue(
      SubmitRecovery.isUnaccepted(error({ cause: new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }) }))
    )
    assert.isFalse(SubmitRecovery.isUnaccepted(error({ cause: { code: "ECONNRESET" } })))
    assert.isFalse(SubmitRecovery.isUnaccepted(error({ reason: "Timeout" })))
    assert.isFalse(SubmitRecovery.isUnaccepted(error({ reason: "Decode", status: 200 })))
  })

  it("formats list times in China time", () => {
    assert.strictEqual(SubmitRecovery.listTime(Date.UTC(2026, 0, 2, 20, 30, 5)), "20260103043005")
  })
})

describe("TaskPoller", () => {
  const poll = Schema.decodeSync(Policies.PollPolicy)({})

  const pollerWith = (answer: (n: number) => unknown) =>
    Effect.gen(function*() {
      const times = yield* Ref.make<Array<number>>([])
      const client = HttpClient.make((request) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const all = yield* Ref.updateAndGet(times, (list) => [...list, now])
          return HttpClientResponse.fromWeb(request, FakeHttp.json(200, answer(all.length)))
        })
      )
      const dashscope = yield* DashScopeClient.make({ apiKey: Redacted.make("k"), httpBaseUrl: base }).pipe(
        Effect.provideService(HttpClient.HttpClient, client)
      )
      const poller = yield* TaskPoller.make({ retry: config().retry }).pipe(
        Effect.provideService(DashScopeClient.DashScopeClient, dashscope)
      )
      return { poller, times: Ref.get(times) }
    })

  it.effect("waits 5 s, then backs off ×1.5 up to the 20 s cap", () =>
    Effect.gen(function*() {
      const { poller, times } = yield* pollerWith((n) => n < 8 ? status("RUNNING") : succeeded())
      const fiber = yield* Effect.fork(poller.await("t1", { poll }))
      for (let i = 0; i < 400; i++) {
        yield* TestClock.adjust("500 millis")
      }
      const answer = yield* Fiber.join(fiber)
      assert.strictEqual(answer.value.output.task_status, "SUCCEEDED")
      const at = yield* times
      assert.deepStrictEqual(at, [5000, 10000, 17500, 28750, 45625, 65625, 85625, 105625])
    }))

  it.effect("gives up after poll.timeout_secs with a message naming the task id", () =>
    Effect.gen(function*() {
      const { poller } = yield* pollerWith(() => status("RUNNING"))
      const fiber = yield* Effect.fork(
        poller.await("task-abc", { poll: new Policies.PollPolicy({ ...poll, timeout_secs: 60 }) })
      )
      yield* TestClock.adjust("61 seconds")
      const error = failureOf(yield* Fiber.await(fiber))
      assert.strictEqual(error.reason, "Timeout")
      assert.strictEqual(error.taskId, "task-abc")
      assert.include(error.message, "task-abc")
      assert.include(error.message, "resumes")
    }))

  it.effect("keeps 200 tasks in flight under 20 queries in any 1 s window", () =>
    Effect.gen(function*() {
      const { poller, times } = yield* pollerWith(() => status("RUNNING"))
      const fiber = yield* Effect.fork(
        Effect.forEach(
          Array.from({ length: 200 }, (_, i) => `t${i}`),
          (id) => poller.query(id),
          { concurrency: "unbounded", discard: true }
        )
      )
      for (let i = 0; i < 150; i++) yield* TestClock.adjust("100 millis")
      yield* Fiber.join(fiber)
      const at = yield* times
      assert.strictEqual(at.length, 200)
      const peak = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 1000).length))
      assert.isAtMost(peak, 20)
      assert.isAtLeast(peak, 15)
    }))
})
