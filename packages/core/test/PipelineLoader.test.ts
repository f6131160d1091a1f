import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer } from "effect"
import * as PipelineConfigError from "../src/PipelineConfigError.js"
import * as PipelineLoader from "../src/PipelineLoader.js"
import * as Registry from "../src/Registry.js"
import { registries } from "./utils/components.js"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const decode = (text: string, env: Record<string, string> = {}, regs = registries) =>
  PipelineLoader.decodeText(text, "pipeline.yaml", regs).pipe(withEnv(env))

const lines = (text: string, env: Record<string, string> = {}, regs = registries) =>
  decode(text, env, regs).pipe(
    Effect.flip,
    Effect.map((error) => error.lines)
  )

const styleExample = `# yaml-language-server: $schema=../../schema/pipeline.schema.json
version: 1
output_dir: \${OUTPUT_DIR:-output}/aliyun-qwen-asr
sources:
  - type: files
    include: ["audio/**/*.{wav,mp3,m4a,flac,ogg,opus,webm}"]
  - type: manifest
    path: inputs.csv              # columns: audio, language, context, ... (per-item overrides)
concurrency: 8
provider:
  type: qwen
  model: auto                     # or qwen3-asr-flash, qwen3-asr-flash-filetrans, dated snapshots
  region: cn-beijing              # or ap-southeast-1, us-east-1; base URLs also overridable
  language_hints: [zh]
  context: "Glossary: DashScope, Effect, asrflow"
  enable_itn: true
  timestamp_granularities: [sentence, word]
  rate_limit:
    requests_per_minute: 100
  poll:
    initial_interval_ms: 5000
    max_interval_ms: 20000
    timeout_secs: 43200
  retry:
    attempts: 6
    initial_backoff_ms: 1000
    max_backoff_ms: 60000
    jitter: true
sinks:
  - type: text
  - type: json
  - type: srt
    max_line_chars: 42
  - type: jsonl
    path: transcripts.jsonl
`

const minimal = (body: string) =>
  `version: 1
${body}`

describe("PipelineLoader", () => {
  it.effect("decodes the docs/CONTRIBUTING.md example, interpolating a default", () =>
    Effect.gen(function*() {
      const config = yield* decode(styleExample)
      assert.strictEqual(config.output_dir, "output/aliyun-qwen-asr")
      assert.strictEqual(config.concurrency, 8)
      assert.deepStrictEqual(config.sources.map((source) => source.type), ["files", "manifest"])
      assert.strictEqual(config.provider.type, "qwen")
      assert.deepStrictEqual((config.provider as any).language_hints, ["zh"])
      assert.strictEqual((config.provider as any).retry.attempts, 6)
      assert.deepStrictEqual(config.sinks.map((sink) => sink.type), ["text", "json", "srt", "jsonl"])
      const withVar = yield* decode(styleExample, { OUTPUT_DIR: "/tmp/out" })
      assert.strictEqual(withVar.output_dir, "/tmp/out/aliyun-qwen-asr")
    }))

  it.effect("reports a misspelled key, a wrong type and a missing variable at once, each with line:col", () =>
    Effect.gen(function*() {
      const text = styleExample
        .replace("language_hints: [zh]", "langauge_hints: [zh]")
        .replace("concurrency: 8", "concurrency: eight")
        .replace("${OUTPUT_DIR:-output}", "${OUTPUT_ROOT}")
      const error = yield* Effect.flip(decode(text))
      assert.instanceOf(error, PipelineConfigError.PipelineConfigError)
      assert.deepStrictEqual(error.lines, [
        "pipeline.yaml:3:13  output_dir  environment variable `OUTPUT_ROOT` is not set (use ${OUTPUT_ROOT:-default} for a default)",
        "pipeline.yaml:9:14  concurrency  expected a number, got \"eight\"",
        "pipeline.yaml:14:3  provider.langauge_hints  unknown key `langauge_hints`; did you mean `language_hints`?"
      ])
      assert.deepStrictEqual(error.issues.map((issue) => [issue.line, issue.column]), [[3, 13], [9, 14], [14, 3]])
    }))

  it.effect("suggests a known source, provider or sink type and hides the noise of the other members", () =>
    Effect.gen(function*() {
      const result = yield* lines(minimal(`sources:
  - type: filez
    include: [a]
    bogus: 1
provider: { type: qwenn }
sinks:
  - type: txt
  - {}
  - just-a-string
`))
      assert.deepStrictEqual(result, [
        "pipeline.yaml:3:11  sources[0].type  unknown source type `filez`; did you mean `files`? Known: files, urls, manifest",
        "pipeline.yaml:6:19  provider.type  unknown provider type `qwenn`; did you mean `qwen`? Known: qwen",
        "pipeline.yaml:8:11  sinks[0].type  unknown sink type `txt`; did you mean `text`? Known: text, json, srt, jsonl",
        "pipeline.yaml:9:5  sinks[1]  missing required key `type`; known sink types: text, json, srt, jsonl",
        "pipeline.yaml:10:5  sinks[2]  expected a sink block (a mapping with a `type`), got \"just-a-string\""
      ])
    }))

  it.effect("says when no providers are registered", () =>
    Effect.gen(function*() {
      const result = yield* lines(
        minimal(
          "sources: [{ type: urls, urls: [\"https://x/a.wav\"] }]\nprovider: { type: qwen }\nsinks: [{ type: text }]\n"
        ),
        {},
        { ...registries, providers: Registry.make() }
      )
      assert.deepStrictEqual(result, [
        "pipeline.yaml:3:19  provider.type  unknown provider type `qwen`; no providers are registered"
      ])
    }))

  it.effect("reports only the matching member's errors for a valid type, with missing keys at their block", () =>
    Effect.gen(function*() {
      const result = yield* lines(`sources:
  - type: files
    exclude: "*.txt"
provider:
  type: qwen
  region: mars
  retry:
    attempts: -1
    jiter: true
  rate_limit: 5
sinks: [{ type: jsonl }]
concurrency: 1000
extra_key: 1
`)
      assert.deepStrictEqual(result, [
        "pipeline.yaml:1:1  version  missing required key `version`",
        "pipeline.yaml:2:5  sources[0].include  missing required key `include`",
        "pipeline.yaml:3:14  sources[0].exclude  expected a list of strings, got \"*.txt\"",
        "pipeline.yaml:6:11  provider.region  expected one of \"cn-beijing\", \"ap-southeast-1\", \"us-east-1\", got \"mars\"",
        "pipeline.yaml:8:15  provider.retry.attempts  expected a non-negative number, got -1",
        "pipeline.yaml:9:5  provider.retry.jiter  unknown key `jiter`; did you mean `jitter`?",
        "pipeline.yaml:10:15  provider.rate_limit  expected a mapping, got 5",
        "pipeline.yaml:11:9  sinks[0].path  missing required key `path`",
        "pipeline.yaml:12:14  concurrency  expected an integer between 1 and 256, got 1000",
        "pipeline.yaml:13:1  extra_key  unknown key `extra_key`; expected one of: version, output_dir, ledger, concurrency, sources, provider, sinks, telemetry"
      ])
    }))

  it.effect("reports every missing variable at once, with ${VAR:?message} messages", () =>
    Effect.gen(function*() {
      const result = yield* lines(
        minimal(`output_dir: \${A}/\${B:?set B to the output root}
sources: [{ type: urls, urls: ["\${C:?}"] }]
provider: { type: qwen, context: "\${EMPTY:?must not be empty}" }
sinks: [{ type: text }]
`),
        { EMPTY: "" }
      )
      assert.deepStrictEqual(result, [
        "pipeline.yaml:2:13  output_dir  environment variable `A` is not set (use ${A:-default} for a default)",
        "pipeline.yaml:2:13  output_dir  environment variable `B` is not set: set B to the output root",
        "pipeline.yaml:3:32  sources[0].urls[0]  environment variable `C` is not set",
        "pipeline.yaml:4:34  provider.context  environment variable `EMPTY` is empty: must not be empty"
      ])
    }))

  it.effect("reports a missing variable in a typed field once, not also as a type error", () =>
    Effect.gen(function*() {
      const result = yield* lines(minimal(`concurrency: \${CONCURRENCY}
sources: [{ type: urls, urls: ["https://example.com/a.wav"] }]
provider: { type: qwen }
sinks: [{ type: text }]
`))
      assert.deepStrictEqual(result, [
        "pipeline.yaml:2:14  concurrency  environment variable `CONCURRENCY` is not set (use ${CONCURRENCY:-default} for a default)"
      ])
    }))

  it.effect("interpolates defaults, escapes and typed plain scalars", () =>
    Effect.gen(function*() {
      const text = minimal(`output_dir: "$\${LITERAL}/\${SET}/\${UNSET-fallback}/\${EMPTY:-colon}/\${EMPTY-dash}"
concurrency: \${CONCURRENCY}
sources: [{ type: urls, urls: ["https://\${HOST:-example.com}/a.wav"] }]
provider:
  type: qwen
  enable_itn: \${ITN:-false}
sinks: [{ type: text }]
`)
      const config = yield* decode(text, { SET: "set", EMPTY: "", CONCURRENCY: "12" })
      assert.strictEqual(config.output_dir, "${LITERAL}/set/fallback/colon/")
      assert.strictEqual(config.concurrency, 12)
      assert.deepStrictEqual((config.sources[0] as any).urls, ["https://example.com/a.wav"])
      assert.strictEqual((config.provider as any).enable_itn, false)
      // a quoted scalar stays a string, so it is not a number
      const quoted = yield* lines(text.replace("concurrency: ${CONCURRENCY}", "concurrency: \"${CONCURRENCY}\""), {
        SET: "set",
        CONCURRENCY: "12"
      })
      assert.deepStrictEqual(quoted, ["pipeline.yaml:3:14  concurrency  expected a number, got \"12\""])
    }))

  it.effect("reports invalid references, YAML syntax errors and empty files", () =>
    Effect.gen(function*() {
      const invalid = yield* lines(minimal("output_dir: ${not valid}\nsources: []\n"))
      assert.include(
        invalid,
        "pipeline.yaml:2:13  output_dir  invalid variable reference `${not valid}`; expected ${NAME}, ${NAME:-default} or ${NAME:?message}"
      )
      const syntax = yield* lines("version: 1\nsources: [\n  - type: files\nprovider: x: y\n")
      assert.isTrue(syntax.length >= 1)
      assert.match(syntax[0], /^pipeline\.yaml:\d+:\d+ {2}\(root\) {2}invalid YAML: /)
      const duplicate = yield* lines("version: 1\nversion: 1\n")
      assert.match(duplicate[0], /^pipeline\.yaml:2:1 {2}\(root\) {2}invalid YAML: Map keys must be unique/)
      const empty = yield* lines("# nothing here\n")
      assert.deepStrictEqual(empty, [
        "pipeline.yaml  (root)  the file is empty; a pipeline needs version, sources, provider and sinks"
      ])
      const scalar = yield* lines("just text\n")
      assert.deepStrictEqual(scalar, [
        "pipeline.yaml:1:1  (root)  expected a mapping with version, sources, provider and sinks, got \"just text\""
      ])
    }))

  it.effect("decodes plain objects with paths but no positions", () =>
    Effect.gen(function*() {
      const ok = yield* PipelineLoader.decodeObject(
        {
          version: 1,
          output_dir: "${OUT:-out}",
          sources: [{ type: "urls", urls: ["https://example.com/a.wav"] }],
          provider: { type: "qwen" },
          sinks: [{ type: "text" }]
        },
        registries
      ).pipe(withEnv({}))
      assert.strictEqual(ok.output_dir, "out")
      const error = yield* PipelineLoader.decodeObject({
        version: 2,
        sources: [],
        provider: { type: "qwen", modle: "x" }
      }, registries)
        .pipe(withEnv({}), Effect.flip)
      assert.deepStrictEqual(error.lines, [
        "<object>  version  expected 1, got 2",
        "<object>  sources  expected a non-empty list, got []",
        "<object>  provider.modle  unknown key `modle`; did you mean `model`?",
        "<object>  sinks  missing required key `sinks`"
      ])
    }))
})

layer(
  Layer.mergeAll(PipelineLoader.PipelineLoader.Default, NodeContext.layer).pipe(Layer.provideMerge(NodeContext.layer))
)(
  "PipelineLoader.load",
  (it) => {
    it.scoped("reads a real file, keeps the file name as given and resolves baseDir", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const dir = yield* fs.makeTempDirectoryScoped()
        const file = path.join(dir, "pipeline.yaml")
        yield* fs.writeFileString(file, styleExample)
        const loaded = yield* PipelineLoader.PipelineLoader.load(file, registries).pipe(withEnv({}))
        assert.strictEqual(loaded.file, file)
        assert.strictEqual(loaded.baseDir, dir)
        assert.strictEqual(loaded.config.concurrency, 8)
        yield* fs.writeFileString(file, "version: 1\nsources: [{ type: files, include: [a], exclude: 3 }]\n")
        const error = yield* Effect.flip(PipelineLoader.PipelineLoader.load(file, registries).pipe(withEnv({})))
        assert.deepStrictEqual(error.lines, [
          `${file}:1:1  provider  missing required key \`provider\``,
          `${file}:1:1  sinks  missing required key \`sinks\``,
          `${file}:2:49  sources[0].exclude  expected a list of strings, got 3`
        ])
      }))

    it.scoped("refuses a binary file in one line, whatever its bytes", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const dir = yield* fs.makeTempDirectoryScoped()
        const wav = path.join(dir, "take.wav")
        yield* fs.writeFile(wav, new Uint8Array([0x52, 0x49, 0x46, 0x46, 0x24, 0x00, 0x00, 0x00, 0x57, 0x41]))
        const binary = yield* Effect.flip(PipelineLoader.PipelineLoader.load(wav, registries))
        assert.deepStrictEqual(binary.lines, [
          `${wav}  (root)  not a text file (a NUL byte at offset 5): a pipeline file is YAML text; did you give an audio file?`
        ])
        const latin1 = path.join(dir, "latin1.yaml")
        yield* fs.writeFile(latin1, new Uint8Array([0x76, 0x3a, 0x20, 0xe9, 0x0a]))
        const notUtf8 = yield* Effect.flip(PipelineLoader.PipelineLoader.load(latin1, registries))
        assert.strictEqual(notUtf8.issues.length, 1)
        assert.include(notUtf8.lines[0], "not a text file (its bytes are not UTF-8)")
      }))

    it.effect("fails clearly for a file that does not exist", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(PipelineLoader.PipelineLoader.load("no/such/pipeline.yaml", registries))
        assert.deepStrictEqual(error.lines, ["no/such/pipeline.yaml  (root)  the pipeline file does not exist"])
      }))

    it.effect("reads variables from the environment by default", () =>
      Effect.gen(function*() {
        const fromEnv = yield* PipelineLoader.decodeText(
          minimal(
            "output_dir: ${PATH}/x\nsources: [{ type: urls, urls: [\"https://e.com/a.wav\"] }]\nprovider: { type: qwen }\nsinks: [{ type: text }]\n"
          ),
          "p.yaml",
          registries
        )
        assert.strictEqual(fromEnv.output_dir, `${process.env.PATH}/x`)
        const result = yield* PipelineLoader.decodeText(
          minimal("output_dir: ${ASRFLOW_TEST_SURELY_UNSET_VARIABLE}\n"),
          "p.yaml",
          registries
        ).pipe(Effect.either)
        assert.isTrue(Either.isLeft(result))
        if (Either.isLeft(result)) {
          assert.include(
            result.left.lines,
            "p.yaml:2:13  output_dir  environment variable `ASRFLOW_TEST_SURELY_UNSET_VARIABLE` is not set (use ${ASRFLOW_TEST_SURELY_UNSET_VARIABLE:-default} for a default)"
          )
        }
      }))
  }
)
