import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { repoRoot, runCli, tempDir } from "./utils/Cli.js"

const work = tempDir("asrflow-cli-")
const caseDir = () => fs.mkdtempSync(path.join(work, "case-"))

describe("asrflow CLI", () => {
  it("lists its commands in --help", async () => {
    const { code, stdout } = await runCli(["--help"])
    assert.strictEqual(code, 0)
    for (const command of ["run", "validate", "schema", "components", "doctor", "transcribe"]) {
      assert.include(stdout, command)
    }
  })

  it("keeps every help line within 100 columns, with examples, for asrflow and every command it lists", async () => {
    const top = await runCli(["--help"])
    assert.strictEqual(top.code, 0, top.stderr)
    const commands = (top.stdout.split("\nCommands:\n")[1] ?? "").split("\n\n")[0]!.split("\n")
      .map((line) => line.trim().split(" ")[0]!)
    assert.includeMembers(commands, ["run", "transcribe", "validate", "doctor", "cancel", "schema", "components"])
    for (const args of [["--help"], ...commands.map((command) => [command, "--help"])]) {
      const { code, stderr, stdout } = await runCli(args)
      assert.strictEqual(code, 0, `${args.join(" ")}: ${stderr}`)
      const lines = stdout.split("\n")
      const wide = lines.filter((line) => [...line].length > 100)
      assert.deepStrictEqual(wide, [], `asrflow ${args.join(" ")}`)
      // a usage line, and examples
      assert.match(stdout, /^Usage: asrflow/m, `asrflow ${args.join(" ")}`)
      assert.isAtLeast(lines.filter((line) => /^ {2}asrflow /.test(line)).length, 2, `examples of ${args.join(" ")}`)
    }
  }, 120_000)

  it("prints the same JSON Schema as the committed schema/pipeline.schema.json", async () => {
    const { code, stdout } = await runCli(["schema"])
    assert.strictEqual(code, 0)
    const committed = fs.readFileSync(path.join(repoRoot, "schema/pipeline.schema.json"), "utf8")
    assert.deepStrictEqual(
      JSON.parse(stdout),
      JSON.parse(committed),
      "schema/pipeline.schema.json is stale: run `npm run schema` and commit it"
    )
  })

  it("lists every component with a description", async () => {
    const { code, stdout } = await runCli(["components"])
    assert.strictEqual(code, 0)
    for (const type of ["files", "urls", "manifest", "qwen", "text", "json", "jsonl", "srt", "vtt", "evidence"]) {
      assert.match(stdout, new RegExp(`^\\s+${type}\\s+\\S`, "m"))
    }
  })

  it("reports three mistakes as three file:line:col lines with exit code 2", async () => {
    const dir = caseDir()
    const file = path.join(dir, "pipeline.yaml")
    fs.writeFileSync(
      file,
      [
        "version: 1",
        "sources:",
        "  - type: urls",
        "    urls: [\"${AUDIO_URL}\"]",
        "concurrency: lots",
        "provider:",
        "  type: qwen",
        "  langauge_hints: [zh]",
        "sinks:",
        "  - type: text",
        ""
      ].join("\n")
    )
    const { code, stderr } = await runCli(["validate", file], { cwd: dir })
    assert.strictEqual(code, 2)
    const lines = stderr.split("\n").filter((line) => line.startsWith(file))
    assert.strictEqual(lines.length, 3, stderr)
    assert.match(stderr, new RegExp(`${file}:4:\\d+\\s+sources\\[0\\]\\.urls\\[0\\]\\s+.*AUDIO_URL`))
    assert.match(stderr, new RegExp(`${file}:5:14\\s+concurrency\\s+`))
    assert.match(stderr, new RegExp(`${file}:8:3\\s+provider\\.langauge_hints\\s+.*did you mean \`language_hints\``))
  })

  it("rejects an unknown provider type with the list of known ones", async () => {
    const dir = caseDir()
    const file = path.join(dir, "pipeline.yaml")
    fs.writeFileSync(
      file,
      "version: 1\nsources:\n  - type: urls\n    urls: [\"https://example.com/a.wav\"]\nprovider:\n  type: whisper\nsinks:\n  - type: text\n"
    )
    const { code, stderr } = await runCli(["validate", file], { cwd: dir })
    assert.strictEqual(code, 2)
    assert.match(stderr, /6:\d+\s+provider\.type\s+.*whisper.*qwen/)
  })

  it("validates the quickstart pipeline without network and writes validate.txt", async () => {
    const dir = caseDir()
    const { code, stdout } = await runCli(["validate", path.join(repoRoot, "examples/quickstart/pipeline.yaml")], {
      cwd: dir,
      env: { OUTPUT_DIR: path.join(dir, "out") }
    })
    assert.strictEqual(code, 0, stdout)
    const report = fs.readFileSync(path.join(dir, "out/aliyun-qwen-asr/validate.txt"), "utf8")
    assert.match(report, /asrflow validate: OK/)
    assert.match(report, /source 0 \(files\): 4 item\(s\)/)
  })
})

describe("asrflow run --dry-run", () => {
  it("lists each item with its route, cost and outputs, needs no key, and writes nothing", async () => {
    const dir = caseDir()
    const { code, stdout, stderr } = await runCli(
      ["run", path.join(repoRoot, "examples/quickstart/pipeline.yaml"), "--dry-run"],
      { cwd: dir, env: { HOME: dir, OUTPUT_DIR: path.join(dir, "out") } }
    )
    assert.strictEqual(code, 0, stderr)
    assert.match(
      stdout,
      /^sync\/compatible\s+\S+welcome\.wav\s+model=qwen3-asr-flash ~7 s ~0\.\d+ CNY -> transcripts\/welcome\.txt/m
    )
    assert.match(stdout, /^dry run: 4 item\(s\), ~\d+ s of audio, estimated cost 0\.\d+ CNY/m)
    assert.isFalse(fs.existsSync(path.join(dir, "out")), "a plan writes no file, not even the ledger or the run log")
  })
})

describe("README", () => {
  it("carries the pipeline reference generated from the schema annotations", async () => {
    const { code, stdout } = await runCli(["schema", "--markdown"])
    assert.strictEqual(code, 0)
    const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8")
    const section = readme.split("<!-- pipeline-reference:start -->\n")[1]?.split("<!-- pipeline-reference:end -->")[0]
    assert.strictEqual(section, stdout, "the README's pipeline reference is stale: run `npm run docs` and commit it")
  })
})
