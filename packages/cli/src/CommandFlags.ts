/**
 * Every command's flags, each declared once with its help line, and the commands' help texts. `Cli.ts`
 * builds the commands from these declarations and `Help.ts` renders the help from them, so the two cannot
 * drift apart. Data only: loading it costs the command line nothing.
 *
 * @since 0.2.0
 */
import { Args, Options } from "@effect/cli"
import { flag, groupsOf } from "./FlagDecl.js"
import * as Flags from "./Flags.js"
import type * as Help from "./Help.js"
import { reportDoc, sharedRunFlags, statusDoc } from "./LedgerFlags.js"

export { type Flag, optionsOf } from "./FlagDecl.js"

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

/**
 * @since 0.2.0
 * @category flags
 */
export const runFlags = {
  concurrency,
  dryRun: flag("Run", bool("dry-run"), {
    flag: "    --dry-run",
    text: "list each item's route, estimated cost and outputs; transcribe nothing"
  }),
  force,
  outputDir,
  json,
  quiet,
  emulator,
  ...sharedRunFlags
}

/**
 * @since 0.2.0
 * @category docs
 */
export const runDoc: Omit<Help.CommandDoc, "groups"> = {
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

/**
 * @since 0.2.0
 * @category flags
 */
export const transcribeFlags = {
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

/**
 * @since 0.2.0
 * @category docs
 */
export const transcribeDoc: Omit<Help.CommandDoc, "groups"> = {
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

/**
 * @since 0.2.0
 * @category arguments
 */
export const pipelineArg = Args.text({ name: "pipeline.yaml" }).pipe(
  Args.withDescription("A pipeline file (see `asrflow schema`), or - to read it from stdin")
)
/**
 * @since 0.2.0
 * @category arguments
 */
export const inputsArg = Args.text({ name: "inputs" }).pipe(
  Args.withDescription("Audio files, folders, globs or URLs"),
  Args.repeated
)

/**
 * @since 0.2.0
 * @category flags
 */
export const validateFlags = {
  allowRejected: flag("Check", bool("allow-rejected"), {
    flag: "    --allow-rejected",
    text: "exit 0 even when rows or files are rejected (they are still listed)"
  }),
  outputDir
}

/**
 * @since 0.2.0
 * @category docs
 */
export const validateDoc: Help.CommandDoc = {
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

/**
 * @since 0.2.0
 * @category flags
 */
export const doctorFlags = { provider, region, emulator }
/**
 * @since 0.2.0
 * @category docs
 */
export const doctorDoc: Help.CommandDoc = {
  name: "doctor",
  summary: "check the provider's key, region and connectivity with one read-only call",
  usage: ["asrflow doctor [flags]"],
  groups: groupsOf(doctorFlags),
  examples: [
    ["asrflow doctor", "where the key was found and whether the service accepts it"],
    ["asrflow doctor --provider funasr --region ap-southeast-1", "another provider and region"]
  ]
}

/**
 * @since 0.2.0
 * @category flags
 */
export const cancelFlags = { region, emulator }
/**
 * @since 0.2.0
 * @category docs
 */
export const cancelDoc: Help.CommandDoc = {
  name: "cancel",
  summary: "cancel the queued async tasks of an unfinished run",
  usage: ["asrflow cancel [flags] <output root>"],
  groups: groupsOf(cancelFlags),
  examples: [
    ["asrflow cancel output/aliyun-qwen-asr", "cancel what the run left queued (running tasks finish)"],
    ["asrflow cancel out/batch --region ap-southeast-1", "an output root of another region"]
  ]
}

/**
 * @since 0.2.0
 * @category flags
 */
export const schemaFlags = {
  markdown: flag("Format", bool("markdown"), {
    flag: "    --markdown",
    text: "the pipeline reference as Markdown (the README's section)"
  }),
  events: flag("Format", bool("events"), {
    flag: "    --events",
    text: "the JSON Schema of run events (run log, --json, onEvent)"
  })
}
/**
 * @since 0.2.0
 * @category docs
 */
export const schemaDoc: Help.CommandDoc = {
  name: "schema",
  summary: "print the pipeline file's JSON Schema (or the events')",
  usage: ["asrflow schema [flags]"],
  groups: groupsOf(schemaFlags),
  examples: [
    ["asrflow schema > pipeline.schema.json", "for editors (yaml-language-server)"],
    ["asrflow schema --events > events.schema.json", "to validate `asrflow run --json` output"]
  ]
}

/**
 * @since 0.2.0
 * @category docs
 */
export const componentsDoc: Help.CommandDoc = {
  name: "components",
  summary: "list the registered sources, providers and sinks",
  usage: ["asrflow components"],
  groups: [],
  examples: [
    ["asrflow components", "every type a pipeline file can name, with what it does"],
    ["asrflow schema --markdown", "and every key each of them takes"]
  ]
}

/**
 * Every command's help, in the order `asrflow --help` lists them.
 *
 * @since 0.2.0
 * @category constants
 */
export const docs: ReadonlyArray<Help.CommandDoc> = [
  { ...runDoc, groups: groupsOf(runFlags) },
  { ...transcribeDoc, groups: groupsOf(transcribeFlags) },
  validateDoc,
  doctorDoc,
  cancelDoc,
  statusDoc,
  reportDoc,
  schemaDoc,
  componentsDoc
]

/**
 * The examples of `asrflow --help`.
 *
 * @since 0.2.0
 * @category docs
 */
export const overviewExamples: Help.CommandDoc["examples"] = [
  ["asrflow transcribe meeting.wav --format srt", "one file to subtitles"],
  ["asrflow run pipeline.yaml", "a batch from a pipeline file (see examples/quickstart)"],
  ["asrflow doctor", "check the key, region and connectivity"]
]
