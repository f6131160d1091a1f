import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { emulatorEnv, runCli, tempDir } from "./utils/Cli.js"

// A run exports its spans and metrics over OTLP/HTTP (JSON) to a receiver this test starts; what arrives
// is decoded and checked: the span tree, the attributes an operator filters on, the metrics, no secret.
const work = tempDir("asrflow-telemetry-")
const audio = path.join(work, "audio")
let emulator: StartedEmulator
let receiver: http.Server
const received: Array<{ readonly path: string; readonly body: Buffer }> = []

beforeAll(async () => {
  fs.mkdirSync(audio, { recursive: true })
  for (let i = 1; i <= 3; i++) {
    const name = path.join(audio, `o${i}.wav`)
    execFileSync("sox", ["-n", "-r", "16000", "-c", "1", name, "synth", "2", "sine", String(250 + 40 * i)])
  }
  // one task query fails (the first one is the run's service check): the item it was for retries
  emulator = await startEmulator({
    rate_limits: { enabled: false },
    tasks: { pending_ms: 50, running_ms: 50 },
    faults: [{ endpoint: "task", kind: "internal_error", at: [2] }]
  })
  receiver = http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      received.push({ path: request.url ?? "", body: Buffer.concat(chunks) })
      response.writeHead(200, { "content-type": "application/json" })
      response.end("{}")
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
}, 120_000)

afterAll(async () => {
  await emulator?.close()
  await new Promise((resolve) => receiver?.close(resolve))
})

interface Attribute {
  readonly key: string
  readonly value: Record<string, unknown>
}
interface Span {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly attributes: ReadonlyArray<Attribute>
}

const valueOf = (value: Record<string, unknown>): unknown => {
  if ("stringValue" in value) return value.stringValue
  if ("intValue" in value) return Number(value.intValue)
  if ("doubleValue" in value) return value.doubleValue
  if ("boolValue" in value) return value.boolValue
  return value
}

const attributes = (span: { readonly attributes?: ReadonlyArray<Attribute> }): Record<string, unknown> =>
  Object.fromEntries((span.attributes ?? []).map((attribute) => [attribute.key, valueOf(attribute.value)]))

/** The spans in OTLP/JSON trace exports. */
const spansIn = (requests: ReadonlyArray<{ readonly body: Buffer }>): ReadonlyArray<Span> =>
  requests.flatMap((request) =>
    JSON.parse(request.body.toString("utf8")).resourceSpans.flatMap((resource: any) =>
      resource.scopeSpans.flatMap((scope: any) => scope.spans)
    )
  )

/** Every data point of every metric in OTLP/JSON metric exports, by metric name, in the order exported. */
const pointsIn = (requests: ReadonlyArray<{ readonly body: Buffer }>) => {
  const points = new Map<string, Array<{ readonly fields: Record<string, unknown>; readonly value: number }>>()
  for (const request of requests) {
    for (const resource of JSON.parse(request.body.toString("utf8")).resourceMetrics) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          const data = metric.sum ?? metric.gauge ?? metric.histogram
          for (const point of data?.dataPoints ?? []) {
            const list = points.get(metric.name) ?? []
            list.push({ fields: attributes(point), value: Number(point.asDouble ?? point.asInt ?? point.count) })
            points.set(metric.name, list)
          }
        }
      }
    }
  }
  return points
}

/** A case folder with a qwen pipeline over `include` and the text sink. */
const casePipeline = (name: string, include: string, provider: ReadonlyArray<string>) => {
  const dir = fs.mkdtempSync(path.join(work, `${name}-`))
  const lines = [
    "version: 1",
    "concurrency: 3",
    "sources:",
    "  - type: files",
    `    include: [${JSON.stringify(include)}]`
  ]
  lines.push("provider:", "  type: qwen", ...provider, "sinks:", "  - type: text", "")
  fs.writeFileSync(path.join(dir, "pipeline.yaml"), lines.join("\n"))
  return dir
}

const env = (dir: string, extra: Record<string, string>) => ({
  ...emulatorEnv(emulator),
  OUTPUT_DIR: path.join(dir, "out"),
  ...extra
})

const endpoint = () => `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`

describe("OpenTelemetry over OTLP/HTTP", () => {
  it("exports the run → item → phase spans, their attributes and the metrics, and no key or signature", async () => {
    const dir = casePipeline("run", audio, [
      "  model: qwen3-asr-flash-filetrans",
      "  rate_limit: { requests_per_minute: 6000 }",
      "  poll: { initial_interval_ms: 50, max_interval_ms: 100 }"
    ])
    const result = await runCli(["run", "pipeline.yaml"], {
      cwd: dir,
      env: env(dir, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint(), OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" })
    })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(result.stderr, /3 done, 0 failed, 0 skipped of 3 item/)

    // nothing secret anywhere in the exported bytes: the key, or a signed URL's query
    const everything = Buffer.concat(received.map((request) => request.body)).toString("utf8")
    assert.isAbove(everything.length, 0)
    for (const secret of [emulator.apiKey, "Signature=", "OSSAccessKeyId", "Expires="]) {
      assert.notInclude(everything, secret)
    }

    const traces = received.filter((request) => request.path === "/v1/traces")
    const metrics = received.filter((request) => request.path === "/v1/metrics")
    assert.isNotEmpty(traces)
    assert.isNotEmpty(metrics)
    const spans = spansIn(traces)

    // the tree: one run, an item per file under it, the phases under each item
    const runs = spans.filter((span) => span.name === "asrflow.run")
    assert.strictEqual(runs.length, 1)
    const run = runs[0]!
    assert.strictEqual(attributes(run)["asrflow.model"], "qwen3-asr-flash-filetrans")
    const items = spans.filter((span) => span.name === "asrflow.item")
    assert.strictEqual(items.length, 3)
    const byId = new Map(spans.map((span) => [span.spanId, span]))
    const ancestorNamed = (span: Span, name: string): Span | undefined => {
      for (let parent = byId.get(span.parentSpanId ?? ""); parent; parent = byId.get(parent.parentSpanId ?? "")) {
        if (parent.name === name) return parent
      }
      return undefined
    }
    for (const item of items) {
      assert.strictEqual(item.traceId, run.traceId)
      assert.strictEqual(ancestorNamed(item, "asrflow.run")?.spanId, run.spanId)
      const phases = new Set(
        spans.filter((span) => span.name !== "asrflow.item" && ancestorNamed(span, "asrflow.item") === item)
          .map((span) => span.name)
      )
      for (const phase of ["asrflow.probe", "asrflow.stage", "asrflow.submit", "asrflow.poll", "asrflow.fetch"]) {
        assert.isTrue(phases.has(phase), `${phase} under ${JSON.stringify(attributes(item))}: ${[...phases]}`)
      }
      assert.isTrue(phases.has("asrflow.sink.write"))
      const fields = attributes(item)
      assert.strictEqual(fields["asrflow.model"], "qwen3-asr-flash-filetrans")
      assert.strictEqual(fields["asrflow.outcome"], "done")
      assert.isString(fields["asrflow.route"])
      assert.approximately(fields["asrflow.audio_seconds"] as number, 2, 0.01)
      assert.isNumber(fields["asrflow.retries"])
      assert.isString(fields["asrflow.request_id"])
      assert.isNotEmpty(fields["asrflow.request_id"] as string)
    }
    // the one failed task query was retried, and counted on its item
    assert.strictEqual(items.reduce((sum, item) => sum + (attributes(item)["asrflow.retries"] as number), 0), 1)

    // metrics: items by outcome, audio seconds, the lanes' rate, requests and latency
    const points = pointsIn(metrics)
    const last = (name: string, matches: (fields: Record<string, unknown>) => boolean) =>
      points.get(name)?.filter((point) => matches(point.fields)).at(-1)?.value
    assert.strictEqual(last("asrflow_items_total", (fields) => fields.outcome === "done"), 3)
    assert.approximately(last("asrflow_audio_seconds_total", () => true) ?? 0, 6, 0.05)
    const rate = last("asrflow_lane_requests_per_minute", (fields) => String(fields.lane).includes("submit"))
    assert.isNumber(rate, [...points.keys()].join(", "))
    assert.isAbove(rate!, 0)
    // each lane's requests by outcome (the one failed task query is not Ok), and their latency
    const queries = (fields: Record<string, unknown>) => String(fields.lane).includes(" query ")
    assert.isAbove(last("asrflow_lane_requests_total", (fields) => queries(fields) && fields.outcome === "Ok") ?? 0, 0)
    assert.strictEqual(
      last("asrflow_lane_requests_total", (fields) => queries(fields) && fields.outcome === "Other"),
      1
    )
    assert.isAbove(last("asrflow_lane_request_duration", (fields) => String(fields.lane).includes("submit")) ?? 0, 0)
  }, 120_000)

  // the sync route's spans, retries and lane metrics: made only while the tracer is on (PhaseSpan.ifTracing),
  // a retry set up only after a first failure (DashScopeClient.withRetry), the pacer's metrics recorded in
  // plain code (RateController): the same spans, counts and metrics as through Effect's own combinators
  it("exports the sync route's item and phase spans, its one retry and the sync lane's metrics", async () => {
    const own = await startEmulator({
      rate_limits: { enabled: false },
      faults: [{ endpoint: "compatible", kind: "internal_error", at: [2] }]
    })
    const from = received.length
    try {
      const dir = casePipeline("sync", audio, [
        "  model: qwen3-asr-flash",
        "  rate_limit: { requests_per_minute: 6000 }",
        "  retry: { attempts: 3, initial_backoff_ms: 20, max_backoff_ms: 100 }"
      ])
      const result = await runCli(["run", "pipeline.yaml"], {
        cwd: dir,
        env: {
          ...emulatorEnv(own),
          OUTPUT_DIR: path.join(dir, "out"),
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint(),
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/json"
        }
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stderr, /3 done, 0 failed, 0 skipped of 3 item/)
    } finally {
      await own.close()
    }
    const mine = received.slice(from)
    const spans = spansIn(mine.filter((request) => request.path === "/v1/traces"))
    const byId = new Map(spans.map((span) => [span.spanId, span]))
    const underItem = (span: Span): Span | undefined => {
      for (let parent = byId.get(span.parentSpanId ?? ""); parent; parent = byId.get(parent.parentSpanId ?? "")) {
        if (parent.name === "asrflow.item") return parent
      }
      return undefined
    }
    const items = spans.filter((span) => span.name === "asrflow.item")
    assert.strictEqual(items.length, 3)
    for (const item of items) {
      const phases = spans.filter((span) => underItem(span) === item)
      for (const name of ["asrflow.probe", "asrflow.submit", "asrflow.sink.write"]) {
        const phase = phases.find((span) => span.name === name)
        assert.isDefined(phase, `${name} under ${JSON.stringify(attributes(item))}`)
        assert.strictEqual(attributes(phase!)["asrflow.phase"], name.slice("asrflow.".length))
      }
      const submit = phases.find((span) => span.name === "asrflow.submit")!
      assert.strictEqual(attributes(submit)["asrflow.model"], "qwen3-asr-flash")
      const fields = attributes(item)
      assert.strictEqual(fields["asrflow.route"], "sync/compatible")
      assert.strictEqual(fields["asrflow.outcome"], "done")
      assert.strictEqual(fields["asrflow.model"], "qwen3-asr-flash")
      assert.isString(fields["asrflow.output_key"])
      assert.isNumber(fields["asrflow.retries"])
    }
    // the one failed request was retried once, and counted on its item
    assert.strictEqual(items.reduce((sum, item) => sum + (attributes(item)["asrflow.retries"] as number), 0), 1)

    const points = pointsIn(mine.filter((request) => request.path === "/v1/metrics"))
    const sync = (fields: Record<string, unknown>) => String(fields.lane).includes(" sync ")
    const last = (name: string, matches: (fields: Record<string, unknown>) => boolean) =>
      points.get(name)?.filter((point) => matches(point.fields)).at(-1)?.value
    const ok = last("asrflow_lane_requests_total", (fields) => sync(fields) && fields.outcome === "Ok")
    assert.isAtLeast(ok ?? 0, 3)
    assert.strictEqual(last("asrflow_lane_requests_total", (fields) => sync(fields) && fields.outcome === "Other"), 1)
    // a latency for every request that succeeded, none for the failed one
    assert.strictEqual(last("asrflow_lane_request_duration", sync), ok)
  }, 120_000)

  it("loads none of its code when no endpoint is set (start-up unchanged), and loads it when one is", async () => {
    const dir = casePipeline("lazy", path.join(audio, "o1.wav"), [])
    // a preload that lists every file the process reads: the CLI's chunks are read by its loader
    const hook = path.join(dir, "reads.cjs")
    fs.writeFileSync(
      hook,
      [
        "const fs = require('node:fs')",
        "const read = fs.readFileSync",
        "const seen = []",
        "fs.readFileSync = function (file, ...rest) { seen.push(String(file)); return read.call(this, file, ...rest) }",
        "process.on('exit', () => fs.writeFileSync(process.env.READS_FILE, seen.join('\\n')))",
        ""
      ].join("\n")
    )
    const readsWith = async (extra: Record<string, string>) => {
      const file = path.join(dir, `reads-${Object.keys(extra).length}.txt`)
      const result = await runCli(["run", "pipeline.yaml"], {
        cwd: dir,
        env: env(dir, { NODE_OPTIONS: `--require ${hook}`, READS_FILE: file, ...extra })
      })
      assert.strictEqual(result.code, 0, result.stderr)
      return fs.readFileSync(file, "utf8").split("\n")
    }
    const telemetryChunk = (reads: ReadonlyArray<string>) => reads.some((file) => /Telemetry-\w+\.cjs$/.test(file))
    const off = await readsWith({})
    assert.isTrue(off.some((file) => /Commands-\w+\.cjs$/.test(file)), "the hook sees the chunks read")
    assert.isFalse(telemetryChunk(off))
    assert.isTrue(telemetryChunk(await readsWith({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint() })))
  }, 120_000)
})
