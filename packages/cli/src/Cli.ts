/**
 * The `asrflow` command line: commands only; handlers live in Commands.ts.
 *
 * @since 0.1.0
 */
import { Args, Command, Options } from "@effect/cli"
import * as Commands from "./Commands.js"

const pipeline = Args.file({ name: "pipeline.yaml", exists: "yes" }).pipe(
  Args.withDescription("A pipeline file (see `asrflow schema`)")
)
const outputDir = Options.directory("output-dir").pipe(
  Options.withDescription("Write under this directory instead of ${OUTPUT_DIR:-output}/aliyun-qwen-asr"),
  Options.optional
)
const concurrency = Options.integer("concurrency").pipe(
  Options.withAlias("c"),
  Options.withDescription("Override the pipeline's concurrency"),
  Options.optional
)
const dryRun = Options.boolean("dry-run").pipe(
  Options.withDescription("List each item with its route, estimated cost and outputs; transcribe nothing")
)

const force = Options.boolean("force").pipe(
  Options.withDescription("Transcribe items again even when the ledger says they are done")
)
const emulator = Options.boolean("emulator").pipe(
  Options.withDescription("Use the embedded DashScope emulator: no key needed, transcripts are synthetic")
)

const run = Command.make("run", { concurrency, dryRun, emulator, force, outputDir, pipeline }, Commands.run).pipe(
  Command.withDescription("Run a pipeline file: transcribe every item of its sources into its sinks")
)
const validate = Command.make("validate", { outputDir, pipeline }, Commands.validate).pipe(
  Command.withDescription("Check a pipeline file without any network call; writes <output root>/validate.txt")
)
const schema = Command.make("schema", {}, () => Commands.schema).pipe(
  Command.withDescription("Print the pipeline file's JSON Schema")
)
const components = Command.make("components", {}, () => Commands.components).pipe(
  Command.withDescription("List the registered sources, providers and sinks")
)

const region = Options.choice("region", ["cn-beijing", "ap-southeast-1", "us-east-1"]).pipe(
  Options.withDescription("The DashScope region (keys are bound to one region)"),
  Options.optional
)
const doctor = Command.make("doctor", { emulator, region }, Commands.doctor).pipe(
  Command.withDescription("Check the API key, region and connectivity with one read-only call")
)

/**
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("asrflow").pipe(
  Command.withDescription("Batch transcription with Alibaba Cloud Qwen ASR"),
  Command.withSubcommands([run, validate, doctor, schema, components])
)

/**
 * @since 0.1.0
 * @category commands
 */
export const cli = Command.run(command, { name: "asrflow", version: "0.1.0" })
