/**
 * The `asrflow` command line: commands only; handlers live in Commands.ts.
 *
 * @since 0.1.0
 */
import type { PipelineConfig } from "@asrflow/core"
import { Args, Command, Options } from "@effect/cli"
import { Effect, Layer } from "effect"
import { CliRegistries } from "./CliRegistries.js"
import type * as Commands from "./Commands.js"
import * as Flags from "./Flags.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface MakeOptions {
  /** The components this CLI knows; by default every component asrflow ships. */
  readonly registries?: PipelineConfig.Registries | undefined
}

const pipeline = Args.file({ name: "pipeline.yaml", exists: "yes" }).pipe(
  Args.withDescription("A pipeline file (see `asrflow schema`)")
)
const outputDir = Options.text("output-dir").pipe(
  Options.withDescription("Write under this directory instead of ${OUTPUT_DIR:-output}/<the provider's folder>"),
  Options.optional
)
const concurrency = Flags.number("concurrency", "concurrency").pipe(
  Options.withAlias("c"),
  Options.withDescription("Override the pipeline's concurrency (an integer from 1 to 256, as in the file)"),
  Options.optional
)
const dryRun = Options.boolean("dry-run").pipe(
  Options.withDescription("List each item with its route, estimated cost and outputs; transcribe nothing")
)

const force = Options.boolean("force").pipe(
  Options.withDescription(
    "Start every item it runs afresh (no recorded upload reused), and also re-run items the ledger has done " +
      "whose outputs are missing; items with all their outputs in place are not billed again"
  )
)
const emulator = Options.boolean("emulator").pipe(
  Options.withDescription("Use the embedded emulator: no key needed, transcripts are synthetic")
)
const region = Options.text("region").pipe(
  Options.withDescription("The provider's region (e.g. cn-beijing; keys are bound to one region)"),
  Options.optional
)
const providerType = Options.text("provider").pipe(
  Options.withDescription("The provider (see `asrflow components`; default: the first one listed)"),
  Options.optional
)

const ledger = Options.redacted("ledger").pipe(
  Options.withDescription(
    "A PostgreSQL ledger (postgres://user:password@host/db) shared by workers; default: ASRFLOW_LEDGER_URL, " +
      "else the pipeline's ledger:, else ledger.sqlite in the output root"
  ),
  Options.optional
)
const runName = Options.text("run").pipe(
  Options.withDescription("Join the run of this name: workers on any host with the same --ledger share its items"),
  Options.optional
)
const leaseSeconds = Options.integer("lease-seconds").pipe(
  Options.withDescription("With --run: how long a claimed item stays this worker's without a heartbeat (default 30)"),
  Options.optional
)

const text = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(description), Options.optional)
const flag = (name: string, description: string) => Options.boolean(name).pipe(Options.withDescription(description))

/**
 * The `asrflow` command tree over the given registries.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: MakeOptions = {}) => {
  // Handlers load on first use, so `--help` and usage errors never evaluate the providers, sinks, YAML,
  // SQLite or HTTP client code (see bench/cold-start.mjs).
  const handlers = Effect.promise(() => import("./Commands.js"))
  const handler = <A, B, E, R>(pick: (module: typeof Commands) => (args: A) => Effect.Effect<B, E, R>) => (args: A) =>
    Effect.flatMap(handlers, (module) =>
      Effect.provide(
        pick(module)(args),
        Layer.merge(module.Live, Layer.succeed(CliRegistries, options.registries ?? module.builtInRegistries))
      ))

  const run = Command.make(
    "run",
    { concurrency, dryRun, emulator, force, leaseSeconds, ledger, outputDir, pipeline, runName },
    handler((m) => m.run)
  )
    .pipe(
      Command.withDescription("Run a pipeline file: transcribe every item of its sources into its sinks")
    )
  const allowRejected = Options.boolean("allow-rejected").pipe(
    Options.withDescription("Exit 0 even when rows or files are rejected (they are still listed, as warnings)")
  )
  const validate = Command.make("validate", { allowRejected, outputDir, pipeline }, handler((m) => m.validate)).pipe(
    Command.withDescription(
      "Check what `run` would read, without any network call (exit 1 when a row or file is rejected); " +
        "writes <output root>/validate.txt"
    )
  )
  const markdown = Options.boolean("markdown").pipe(
    Options.withDescription("Print the pipeline reference as Markdown (the README's reference section)")
  )
  const schema = Command.make("schema", { markdown }, handler((m) => m.schema)).pipe(
    Command.withDescription("Print the pipeline file's JSON Schema")
  )
  const components = Command.make("components", {}, handler((m) => () => m.components)).pipe(
    Command.withDescription("List the registered sources, providers and sinks")
  )

  const doctor = Command.make("doctor", { emulator, provider: providerType, region }, handler((m) => m.doctor)).pipe(
    Command.withDescription("Check the provider's key, region and connectivity with one read-only call")
  )

  const transcribe = Command.make("transcribe", {
    async: flag("async", "Use the provider's async task workflow (the default for async models)"),
    audio: text("audio", "A local file path or a public http(s)/oss:// URL"),
    context: text("context", "Recognition context (terms, names); a model that cannot take it warns"),
    disfluencyRemovalEnabled: flag("disfluency-removal-enabled", "Remove fillers; a model that cannot honour it warns"),
    emulator,
    format: Flags.choice<"txt" | "json" | "srt" | "vtt">("format", "format").pipe(
      Options.withDescription("Output format (default: from --output's extension, else txt)"),
      Options.optional
    ),
    itn: flag("itn", "Inverse text normalization: spoken numbers become digits (zh, en)"),
    languageHints: text("language-hints", "Comma-separated language codes, e.g. zh,en (some models take one)"),
    maxWaits: Flags.number("max-waits", "maxWaits").pipe(
      Options.withDescription("Async: give up after this many poll intervals"),
      Options.optional
    ),
    model: text("model", "The model id (default: the provider's, e.g. qwen3-asr-flash), a dated snapshot, or auto"),
    output: text("output", "Write this one file instead of <output root>/transcripts/<name>.<ext>"),
    outputDir,
    pollInterval: Flags.number("poll-interval", "pollInterval").pipe(
      Options.withDescription("Async: seconds between task queries"),
      Options.optional
    ),
    printResponse: flag("print-response", "Print the normalized {text, task_id, status, raw} JSON on stdout"),
    provider: providerType,
    region,
    sampleRate: Flags.number("sample-rate", "sampleRate").pipe(
      Options.withDescription("Sample rate of raw .pcm input (wrapped in a WAV header); informational otherwise"),
      Options.optional
    ),
    taskId: text("task-id", "Pick up a task submitted earlier with --async, and wait for its result"),
    timestampGranularities: Flags.choices<"sentence" | "word">("timestamp-granularities", "granularity").pipe(
      Options.withDescription("sentence and/or word, comma-separated (models without timestamps warn)"),
      Options.optional
    ),
    vocabularyId: text("vocabulary-id", "A hotword vocabulary id; a model that cannot honour it warns"),
    wait: flag("wait", "Async: wait for the task and fetch its result (without it, --async prints the task id)")
  }, handler((m) => m.transcribe)).pipe(
    Command.withDescription("Transcribe one recording (the original helper's flags)")
  )

  const cancel = Command.make("cancel", {
    emulator,
    outputRoot: Args.directory({ name: "output root", exists: "yes" }).pipe(
      Args.withDescription("The output root of the unfinished run, e.g. output/aliyun-qwen-asr")
    ),
    region
  }, handler((m) => m.cancel)).pipe(Command.withDescription("Cancel the queued async tasks of an unfinished run"))
  const status = Command.make("status", {
    json: flag("json", "Print the status as JSON, for scripts"),
    ledger,
    runName
  }, handler((m) => m.status)).pipe(
    Command.withDescription("Show the runs of a shared ledger: items by state, workers and heartbeats, leases, lanes")
  )
  const report = Command.make("report", {
    ledger,
    outputDir: text("output-dir", "Write <run>.jsonl and <run>.summary.json here (default: the current directory)"),
    runName: Options.text("run").pipe(Options.withDescription("The shared run to report"))
  }, handler((m) => m.report)).pipe(
    Command.withDescription("Write a shared run's JSONL and summary from the ledger, whichever workers did the work")
  )
  return Command.make("asrflow").pipe(
    Command.withDescription("Batch speech transcription: Alibaba Cloud Qwen ASR and other providers"),
    Command.withSubcommands([run, transcribe, validate, doctor, cancel, status, report, schema, components])
  )
}

/**
 * @since 0.1.0
 * @category commands
 */
export const command = make()

/**
 * Runs a CLI over the given registries (`argv` as `process.argv`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const run = (options: MakeOptions = {}) => Command.run(make(options), { name: "asrflow", version: "0.1.0" })

/**
 * @since 0.1.0
 * @category commands
 */
export const cli = run()
