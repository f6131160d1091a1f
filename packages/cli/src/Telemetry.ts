/**
 * OpenTelemetry for a run: the spans the runner and providers open (`asrflow.run`, `asrflow.item`, a
 * span per phase, and the HTTP requests under them) and the run's metrics, exported over OTLP/HTTP by
 * `@effect/opentelemetry`'s own exporters (JSON or protobuf; no OpenTelemetry SDK is needed).
 *
 * Everything exported passes through the run's `Redactor` first: keys and URL signatures cannot leave
 * in an attribute, a span name or a resource. This module loads only when telemetry is asked for
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, or `telemetry:` in the pipeline), so a run without it pays nothing.
 *
 * Metrics: `asrflow_items_total` (by outcome), `asrflow_audio_seconds_total`, and whatever the run's
 * components record (the rate controller's requests, 429s, latency and current rate per lane).
 *
 * @since 0.2.0
 */
import type { PipelineConfig, Redact, RunEvents } from "@asrflow/core"
import * as OtlpMetrics from "@effect/opentelemetry/OtlpMetrics"
import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import type { HttpClient } from "@effect/platform"
import { Config, Duration, Effect, Layer, Metric, Option } from "effect"

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  readonly endpoint: string
  readonly redactor: Redact.Redactor.Service
  /** The pipeline's `telemetry:` block; the `OTEL_*` variables fill in what it leaves out. */
  readonly config?: PipelineConfig.Telemetry | undefined
  readonly version: string
}

const items = Metric.counter("asrflow_items_total", {
  description: "Items finished, by outcome (done, failed, skipped)",
  incremental: true
})
const audio = Metric.counter("asrflow_audio_seconds_total", {
  description: "Seconds of audio transcribed and written",
  incremental: true
})

/**
 * Counts an item's last event in the run's metrics.
 *
 * @since 0.2.0
 * @category utils
 */
export const observe = (event: RunEvents.Event): void => {
  const outcome = event.phase === "written" ? "done" : event.phase
  if (outcome !== "done" && outcome !== "failed" && outcome !== "skipped") return
  items.pipe(Metric.tagged("outcome", outcome)).unsafeUpdate(1, [])
  const seconds = event.phase === "written" ? event.data?.audio_seconds : undefined
  if (typeof seconds === "number") audio.unsafeUpdate(seconds, [])
}

// `k=v,k2=v2`, values percent-encoded (the OTLP exporter specification)
const parseHeaders = (text: string): Record<string, string> =>
  Object.fromEntries(
    text.split(",").flatMap((pair) => {
      const at = pair.indexOf("=")
      return at <= 0 ? [] : [[pair.slice(0, at).trim(), decodeURIComponent(pair.slice(at + 1).trim())]]
    })
  )

// A URL's query is left out of everything exported (`url.full` keeps the path, `url.query` goes): a
// signed URL's query (Expires, OSSAccessKeyId, Signature) is a credential even with its values masked
const urlQuery = /(\bhttps?:\/\/[^\s?#"]*)\?[^\s#"]*/g
const withoutQueries = <A>(data: A): A => {
  if (typeof data === "string") return data.replace(urlQuery, "$1") as A
  if (Array.isArray(data)) return data.map(withoutQueries) as A
  if (typeof data !== "object" || data === null) return data
  if ((data as { readonly key?: unknown }).key === "url.query") {
    return { key: "url.query", value: { stringValue: "" } } as A
  }
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, withoutQueries(value)])) as A
}

const env = (name: string) => Config.option(Config.string(name)).pipe(Effect.orElseSucceed(() => Option.none()))

/**
 * Runs `effect` with the run's exporters: its spans go to the OTLP tracer, the metrics registry is
 * exported alongside, and what is still buffered when it ends is sent before this returns.
 *
 * @since 0.2.0
 * @category combinators
 */
export const around =
  (options: Options) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | HttpClient.HttpClient> =>
    Effect.scoped(Effect.gen(function*() {
      const protocol = options.config?.protocol ??
        Option.getOrUndefined(yield* env("OTEL_EXPORTER_OTLP_PROTOCOL")) ?? "http/protobuf"
      const headers = Option.match(yield* env("OTEL_EXPORTER_OTLP_HEADERS"), {
        onNone: () => ({}),
        onSome: parseHeaders
      })
      const resource = {
        serviceName: options.config?.service_name ?? Option.getOrElse(yield* env("OTEL_SERVICE_NAME"), () => "asrflow"),
        serviceVersion: options.version
      }
      const base = options.endpoint.replace(/\/+$/, "")
      const { redactor } = options
      const encoding = protocol === "http/json" ? OtlpSerialization.layerJson : OtlpSerialization.layerProtobuf
      // the one place exported data is encoded: redacted first, whatever it is
      const redacting = Layer.effect(
        OtlpSerialization.OtlpSerialization,
        Effect.map(OtlpSerialization.OtlpSerialization, (encode) => ({
          traces: (data) => encode.traces(withoutQueries(redactor.value(data))),
          metrics: (data) => encode.metrics(withoutQueries(redactor.value(data))),
          logs: (data) => encode.logs(withoutQueries(redactor.value(data)))
        }))
      ).pipe(Layer.provide(encoding))
      const tracer = yield* OtlpTracer.make({
        url: `${base}/v1/traces`,
        resource,
        headers,
        exportInterval: Duration.seconds(5)
      }).pipe(Effect.provide(redacting))
      yield* OtlpMetrics.make({
        url: `${base}/v1/metrics`,
        resource,
        headers,
        exportInterval: Duration.seconds(10)
      }).pipe(Effect.provide(redacting))
      return yield* Effect.withTracer(effect, tracer)
    }))
