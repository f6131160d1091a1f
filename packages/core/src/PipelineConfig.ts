/**
 * The pipeline file's schema, derived from the registries of sources, providers and sinks.
 *
 * @since 0.1.0
 */
import { JSONSchema, Schema } from "effect"
import type * as Component from "./Component.js"
import * as SchemaReferences from "./internal/schemaReferences.js"
import * as Registry from "./Registry.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Registries {
  readonly sources: Registry.Registry<Component.SourceComponent>
  readonly providers: Registry.Registry<Component.ProviderComponent>
  readonly sinks: Registry.Registry<Component.SinkComponent>
}

/**
 * A decoded pipeline file.
 *
 * @since 0.1.0
 * @category models
 */
export interface PipelineConfig {
  readonly version: 1
  readonly output_dir?: string | undefined
  /** A `postgres://` URL: the ledger many workers share. It holds a password: never logged. */
  readonly ledger?: string | undefined
  readonly concurrency: number
  readonly sources: ReadonlyArray<Component.Typed>
  readonly provider: Component.Typed
  readonly sinks: ReadonlyArray<Component.Typed>
  readonly telemetry?: Telemetry | undefined
}

/**
 * Where a run sends its traces and metrics (OpenTelemetry, OTLP over HTTP). The standard `OTEL_*`
 * variables configure the rest (`OTEL_EXPORTER_OTLP_HEADERS` for a collector's credentials, which never
 * go in the file).
 *
 * @since 0.2.0
 * @category schemas
 */
export const Telemetry = Schema.Struct({
  endpoint: Schema.String.annotations({
    description: "The OTLP/HTTP base URL (as OTEL_EXPORTER_OTLP_ENDPOINT): /v1/traces and /v1/metrics are appended.",
    examples: ["http://localhost:4318"]
  }),
  protocol: Schema.optional(
    Schema.Literal("http/protobuf", "http/json").annotations({
      description: "The OTLP encoding (as OTEL_EXPORTER_OTLP_PROTOCOL; default http/protobuf)."
    })
  ),
  service_name: Schema.optional(Schema.String.annotations({
    description: "service.name of the exported data (as OTEL_SERVICE_NAME; default asrflow)."
  }))
}).annotations({
  identifier: "Telemetry",
  description: "Export a span per run, item and phase, and the run's metrics, over OTLP/HTTP."
})

/**
 * @since 0.2.0
 * @category models
 */
export type Telemetry = typeof Telemetry.Type

/**
 * How many items are in flight at once: the pipeline's `concurrency` and the `--concurrency` flag.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Concurrency = Schema.Int.pipe(Schema.between(1, 256)).annotations({
  description: "an integer between 1 and 256"
})

/**
 * The schema of a whole pipeline file for the given registries.
 *
 * @since 0.1.0
 * @category schemas
 */
export const make = (registries: Registries): Schema.Schema<PipelineConfig, unknown> =>
  Schema.Struct({
    version: Schema.Literal(1).annotations({ description: "The pipeline file format version." }),
    output_dir: Schema.optional(Schema.String.annotations({
      description:
        "The output root. Defaults to ${OUTPUT_DIR:-output}/ followed by the provider's folder; --output-dir overrides it."
    })),
    ledger: Schema.optional(
      Schema.String.pipe(Schema.pattern(/^postgres(ql)?:\/\//)).annotations({
        description: "A PostgreSQL URL (postgres://user:password@host/db) for a ledger that workers on many " +
          "machines share (with `asrflow run --run NAME`); write it as ${ASRFLOW_LEDGER_URL}. Default: " +
          "ledger.sqlite in the output root. --ledger and ASRFLOW_LEDGER_URL override it.",
        examples: ["${ASRFLOW_LEDGER_URL}"]
      })
    ),
    concurrency: Schema.optionalWith(Concurrency, { default: () => 32 }).annotations({
      description: "The most items worked on at once (a cap). Within it, the number follows the provider's rate: " +
        "requests in flight settle at rate × latency, and async items waiting on the server do not count."
    }),
    sources: Schema.NonEmptyArray(Registry.configSchema(registries.sources)).annotations({
      description: "Where the recordings come from. Items of all sources form one batch."
    }),
    provider: Registry.configSchema(registries.providers).annotations({
      description: "The ASR provider that transcribes every item."
    }),
    sinks: Schema.NonEmptyArray(Registry.configSchema(registries.sinks)).annotations({
      description: "Where results are written. Every sink receives every result, failed ones included."
    }),
    telemetry: Schema.optional(Telemetry)
  }).annotations({
    identifier: "Pipeline",
    title: "asrflow pipeline",
    description: "A declarative asrflow batch: sources, one provider, and sinks."
  }) as unknown as Schema.Schema<PipelineConfig, unknown> // each component decodes its own config; callers see the common shape

/**
 * The JSON Schema of the pipeline file, for editors and the `asrflow schema` command. Draft 2020-12, so
 * that bounds next to a `$ref` hold, and widened to accept `${VAR}` references wherever the loader
 * substitutes them.
 *
 * @since 0.1.0
 * @category utils
 */
export const jsonSchema = (registries: Registries): JSONSchema.JsonSchema7Root =>
  SchemaReferences.allowReferences(JSONSchema.make(make(registries), { target: "jsonSchema2020-12" }))
