/**
 * The `asrflow` command line: commands only; handlers live in Commands.ts. Each flag is declared once,
 * with its help line (`Help.ts` renders the help from these declarations).
 *
 * @since 0.1.0
 */
import type { PipelineConfig } from "@asrflow/core"
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Layer } from "effect"
import { CliRegistries } from "./CliRegistries.js"
import type * as Commands from "./Commands.js"
import * as Flags from "./Flags.js"
import * as Help from "./Help.js"
import * as Version from "./Version.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface MakeOptions {
  /** The components this CLI knows; by default every component asrflow ships. */
  readonly registries?: PipelineConfig.Registries | undefined
}

/**
 * asrflow's version, as published.
 *
 * @since 0.3.0
 * @category constants
 */
export const version = Version.version

interface Flag<A> {
  readonly option: Options.Options<A>
  readonly group: string
  readonly doc: Help.FlagDoc
}

const flag = <A>(group: string, option: Options.Options<A>, doc: Help.FlagDoc): Flag<A> => ({ option, group, doc })

const optionsOf = <F extends Record<string, Flag<any>>>(flags: F): { readonly [K in keyof F]: F[K]["option"] } =>
  Object.fromEntries(Object.entries(flags).map(([key, value]) => [key, value.option])) as any

const groupsOf = (flags: Record<string, Flag<any>>): Help.CommandDoc["groups"] => {
  const groups = new Map<string, Array<Help.FlagDoc>>()
  for (const { doc, group } of Object.values(flags)) groups.set(group, [...(groups.get(group) ?? []), doc])
  return [...groups]
}

const text = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(description), Options.optional)
const bool = (name: string) => Options.boolean(name)

const outputDir = flag("Output", text("output-dir", "Write under this directory"), {
  flag: "    --output-dir DIR",
  text: "write under DIR",
  default: "${OUTPUT_DIR:-output}/<provider folder>"
})
const json = flag("Output", bool("json"), {
  flag: "    --json",
  text: "events as JSON lines on stdout (asrflow schema --events)"
})
const quiet = flag("Output", bool("quiet").pipe(Options.withAlias("q")), {
  flag: "-q, --quiet",
  text: "print only failures and the summary"
})
const concurrency = flag(
  "Run",
  Flags.number("concurrency", "concurrency").pipe(Options.withAlias("c"), Options.optional),
  { flag: "-c, --concurrency N", text: "most items in flight at once, 1 to 256", default: "the pipeline's" }
)
const force = flag("Run", bool("force"), {
  flag: "    --force",
  text: "start items afresh; re-run done items whose outputs are missing"
})
const emulator = flag("Provider", bool("emulator"), {
  flag: "    --emulator",
  text: "use the embedded emulator: no key needed, synthetic transcripts"
})
const region = flag("Provider", text("region", "The provider's region"), {
  flag: "    --region REGION",
  text: "e.g. cn-beijing, ap-southeast-1",
  default: "the provider's"
})
const provider = flag("Provider", text("provider", "The provider"), {
  flag: "    --provider TYPE",
  text: "qwen, funasr, openai, … (see asrflow components)",
  default: "qwen"
})

const runFlags = {
  concurrency,
  dryRun: flag("Run", bool("dry-run"), {
    flag: "    --dry-run",
    text: "list each item's route, estimated cost and outputs; transcribe nothing"
  }),
  force,
  outputDir,
  json,
  quiet,
  emulator
}

const runDoc: Omit<Help.CommandDoc, "groups"> = {
  name: "run",
  summary: "run a pipeline file: every item of its sources through the provider into its sinks",
  usage: ["asrflow run [flags] <pipeline.yaml>", "asrflow run [flags] -          (the pipeline on stdin)"],
  notes: [
    "Items the ledger has done are skipped and async tasks already submitted are picked up again, so the " +
    "same command resumes an interrupted run. Ctrl-C (or SIGTERM) stops starting items and prints the summary; " +
    "a second one exits at once."
  ],
  examples: [
    ["asrflow run pipeline.yaml", "transcribe everything the pipeline lists (run it again to resume)"],
    ["asrflow run pipeline.yaml --dry-run", "show each item's route, estimated cost and outputs"],
    ["generate-pipeline | asrflow run - --json > events.ndjson", "a pipeline from stdin; events as NDJSON"]
  ]
}

const transcribeFlags = {
  model: flag("Request", text("model", "The model id"), {
    flag: "    --model ID",
    text: "a model id, a dated snapshot, or auto (sync or async by length)"
  }),
  provider,
  region,
  languageHints: flag("Request", text("language-hints", "Language codes"), {
    flag: "    --language-hints LIST",
    text: "comma-separated language codes, e.g. zh,en"
  }),
  context: flag("Request", text("context", "Recognition context"), {
    flag: "    --context TEXT",
    text: "terms and names that help recognition"
  }),
  itn: flag("Request", bool("itn"), { flag: "    --itn", text: "spoken numbers become digits (zh, en)" }),
  disfluencyRemovalEnabled: flag("Request", bool("disfluency-removal-enabled"), {
    flag: "    --disfluency-removal-enabled",
    text: "remove fillers (models that cannot warn)"
  }),
  vocabularyId: flag("Request", text("vocabulary-id", "A hotword vocabulary id"), {
    flag: "    --vocabulary-id ID",
    text: "a hotword vocabulary (models that cannot warn)"
  }),
  timestampGranularities: flag(
    "Request",
    Flags.choices<"sentence" | "word">("timestamp-granularities", "granularity").pipe(Options.optional),
    { flag: "    --timestamp-granularities L", text: "sentence and/or word, comma-separated" }
  ),
  sampleRate: flag("Request", Flags.number("sample-rate", "sampleRate").pipe(Options.optional), {
    flag: "    --sample-rate HZ",
    text: "the sample rate of raw .pcm input",
    default: "16000"
  }),
  format: flag(
    "Output",
    Flags.choices<"txt" | "json" | "srt" | "vtt">("format", "format").pipe(Options.optional),
    { flag: "    --format LIST", text: "txt, json, srt and/or vtt, comma-separated", default: "txt" }
  ),
  outputDir,
  output: flag("Output", text("output", "Write this one file"), {
    flag: "    --output FILE",
    text: "--audio: write exactly FILE (its extension picks the format)"
  }),
  printResponse: flag("Output", bool("print-response"), {
    flag: "    --print-response",
    text: "--audio: print the normalized {text, task_id, status, raw} JSON"
  }),
  json,
  quiet,
  concurrency,
  force,
  async: flag("Async tasks", bool("async"), {
    flag: "    --async",
    text: "use the async task workflow (the default for async models)"
  }),
  wait: flag("Async tasks", bool("wait"), {
    flag: "    --wait",
    text: "--audio --async: wait for the result, not just print the task id"
  }),
  taskId: flag("Async tasks", text("task-id", "A task submitted earlier"), {
    flag: "    --task-id ID",
    text: "pick up a task submitted earlier with --async and wait for it"
  }),
  pollInterval: flag("Async tasks", Flags.number("poll-interval", "pollInterval").pipe(Options.optional), {
    flag: "    --poll-interval SECS",
    text: "seconds between task queries",
    default: "the provider's"
  }),
  maxWaits: flag("Async tasks", Flags.number("max-waits", "maxWaits").pipe(Options.optional), {
    flag: "    --max-waits N",
    text: "give up after N poll intervals"
  }),
  audio: flag("Inputs", text("audio", "A local file or a URL"), {
    flag: "    --audio PATH|URL",
    text: "one recording the original helper's way (its text on stdout)"
  }),
  emulator
}

const transcribeDoc: Omit<Help.CommandDoc, "groups"> = {
  name: "transcribe",
  summary: "transcribe files, folders, globs or URLs without a pipeline file",
  usage: ["asrflow transcribe [flags] <file|dir|glob|url>…", "asrflow transcribe [flags] --audio <file|url>"],
  notes: [
    "The inputs become one batch through the same runner, ledger and sinks as `asrflow run` (run it " +
    "again to resume). With --audio, one recording's text goes to stdout, as the original helper did."
  ],
  examples: [
    ["asrflow transcribe meeting.wav interview.mp3 calls/ --format srt", "two files and a folder, as SRT"],
    ["asrflow transcribe 'audio/**/*.m4a' --model auto --format txt,vtt", "a glob; long files go async"],
    ["asrflow transcribe --audio https://example.com/a.mp3 --print-response", "one URL, response on stdout"]
  ]
}

const pipelineArg = Args.text({ name: "pipeline.yaml" }).pipe(
  Args.withDescription("A pipeline file (see `asrflow schema`), or - to read it from stdin")
)
const inputsArg = Args.text({ name: "inputs" }).pipe(
  Args.withDescription("Audio files, folders, globs or URLs"),
  Args.repeated
)

const validateFlags = {
  allowRejected: flag("Check", bool("allow-rejected"), {
    flag: "    --allow-rejected",
    text: "exit 0 even when rows or files are rejected (they are still listed)"
  }),
  outputDir
}

const validateDoc: Help.CommandDoc = {
  name: "validate",
  summary: "check what `run` would read, without any network call",
  usage: ["asrflow validate [flags] <pipeline.yaml>"],
  notes: ["Exits 1 when a row or file is rejected; writes <output root>/validate.txt."],
  groups: groupsOf(validateFlags),
  examples: [
    ["asrflow validate pipeline.yaml", "every problem at once, as file:line:col"],
    ["asrflow validate pipeline.yaml --allow-rejected", "list rejected rows without failing"]
  ]
}

const doctorFlags = { provider, region, emulator }
const doctorDoc: Help.CommandDoc = {
  name: "doctor",
  summary: "check the provider's key, region and connectivity with one read-only call",
  usage: ["asrflow doctor [flags]"],
  groups: groupsOf(doctorFlags),
  examples: [
    ["asrflow doctor", "where the key was found and whether the service accepts it"],
    ["asrflow doctor --provider funasr --region ap-southeast-1", "another provider and region"]
  ]
}

const cancelFlags = { region, emulator }
const cancelDoc: Help.CommandDoc = {
  name: "cancel",
  summary: "cancel the queued async tasks of an unfinished run",
  usage: ["asrflow cancel [flags] <output root>"],
  groups: groupsOf(cancelFlags),
  examples: [
    ["asrflow cancel output/aliyun-qwen-asr", "cancel what the run left queued (running tasks finish)"],
    ["asrflow cancel out/batch --region ap-southeast-1", "an output root of another region"]
  ]
}

const schemaFlags = {
  markdown: flag("Format", bool("markdown"), {
    flag: "    --markdown",
    text: "the pipeline reference as Markdown (the README's section)"
  }),
  events: flag("Format", bool("events"), {
    flag: "    --events",
    text: "the JSON Schema of run events (run log, --json, onEvent)"
  })
}
const schemaDoc: Help.CommandDoc = {
  name: "schema",
  summary: "print the pipeline file's JSON Schema (or the events')",
  usage: ["asrflow schema [flags]"],
  groups: groupsOf(schemaFlags),
  examples: [
    ["asrflow schema > pipeline.schema.json", "for editors (yaml-language-server)"],
    ["asrflow schema --events > events.schema.json", "to validate `asrflow run --json` output"]
  ]
}

const componentsDoc: Help.CommandDoc = {
  name: "components",
  summary: "list the registered sources, providers and sinks",
  usage: ["asrflow components"],
  groups: [],
  examples: [["asrflow components", "every type a pipeline file can name, with what it does"]]
}

/**
 * Every command's help, in the order `asrflow --help` lists them.
 *
 * @since 0.3.0
 * @category constants
 */
export const docs: ReadonlyArray<Help.CommandDoc> = [
  { ...runDoc, groups: groupsOf(runFlags) },
  { ...transcribeDoc, groups: groupsOf(transcribeFlags) },
  validateDoc,
  doctorDoc,
  cancelDoc,
  schemaDoc,
  componentsDoc
]

const overviewExamples: Help.CommandDoc["examples"] = [
  ["asrflow transcribe meeting.wav --format srt", "one file to subtitles"],
  ["asrflow run pipeline.yaml", "a batch from a pipeline file (see examples/quickstart)"],
  ["asrflow doctor", "check the key, region and connectivity"]
]

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
  const described = <C extends Command.Command<any, any, any, any>>(doc: { readonly summary: string }, command: C) =>
    Command.withDescription(command, doc.summary) as C

  const run = described(
    runDoc,
    Command.make("run", { ...optionsOf(runFlags), pipeline: pipelineArg }, handler((m) => m.run))
  )
  const transcribe = described(
    transcribeDoc,
    Command.make("transcribe", { ...optionsOf(transcribeFlags), inputs: inputsArg }, handler((m) => m.transcribe))
  )
  const validate = described(
    validateDoc,
    Command.make("validate", {
      ...optionsOf(validateFlags),
      pipeline: Args.file({ name: "pipeline.yaml", exists: "yes" })
    }, handler((m) => m.validate))
  )
  const schema = described(schemaDoc, Command.make("schema", optionsOf(schemaFlags), handler((m) => m.schema)))
  const components = described(
    componentsDoc,
    Command.make("components", {}, handler((m) => () => m.components))
  )
  const doctor = described(doctorDoc, Command.make("doctor", optionsOf(doctorFlags), handler((m) => m.doctor)))
  const cancel = described(
    cancelDoc,
    Command.make("cancel", {
      ...optionsOf(cancelFlags),
      outputRoot: Args.directory({ name: "output root", exists: "yes" })
    }, handler((m) => m.cancel))
  )
  return Command.make("asrflow").pipe(
    Command.withDescription("Batch speech transcription: Alibaba Cloud Qwen ASR and other providers"),
    Command.withSubcommands([run, transcribe, validate, doctor, cancel, schema, components])
  )
}

/**
 * @since 0.1.0
 * @category commands
 */
export const command = make()

/** The command `args` name: the first word that is not a flag or the value of `--log-level`. */
const commandOf = (args: ReadonlyArray<string>): string | undefined =>
  args.find((arg, i) => !arg.startsWith("-") && args[i - 1] !== "--log-level")

/**
 * What `run -` becomes before parsing: `@effect/cli` takes a lone `-` for a flag.
 *
 * @since 0.3.0
 * @category constants
 */
export const stdinArgument = "\u0000stdin"

/**
 * The help `argv` asks for (`--help`, `-h`, or no command at all), or undefined when it asks for none.
 *
 * @since 0.3.0
 * @category utils
 */
export const helpFor = (args: ReadonlyArray<string>): string | undefined => {
  const end = args.indexOf("--")
  const before = end === -1 ? args : args.slice(0, end)
  const name = commandOf(before)
  const doc = docs.find((candidate) => candidate.name === name)
  if (before.length === 0) return Help.overview(version, docs, overviewExamples)
  if (!before.includes("--help") && !before.includes("-h")) return undefined
  return doc === undefined ? Help.overview(version, docs, overviewExamples) : Help.command(doc)
}

/**
 * Runs a CLI over the given registries (`argv` as `process.argv`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const run = (options: MakeOptions = {}) => {
  const cli = Command.run(make(options), { name: "asrflow", version })
  return (argv: ReadonlyArray<string>) => {
    const help = helpFor(argv.slice(2))
    if (help !== undefined) return Console.log(help)
    const stdin = commandOf(argv.slice(2)) === "run"
    return cli(stdin ? argv.map((arg, i) => i >= 2 && arg === "-" ? stdinArgument : arg) : argv)
  }
}

/**
 * @since 0.1.0
 * @category commands
 */
export const cli = run()
