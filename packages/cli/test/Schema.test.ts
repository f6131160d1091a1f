import { assert, describe, it } from "@effect/vitest"
import { Ajv2020 } from "ajv/dist/2020.js"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Yaml from "yaml"
import { repoRoot, runCli } from "./utils/Cli.js"

// The committed schema is what editors load (`# yaml-language-server: $schema=…`). `strictTypes` is off:
// bounds next to a `$ref` constrain numbers only, on purpose (the other alternative is a `${VAR}` string).
const schema = JSON.parse(fs.readFileSync(path.join(repoRoot, "schema/pipeline.schema.json"), "utf8"))
const validator = new Ajv2020({ allErrors: true, strict: true, strictTypes: false }).compile(schema)

const examples = fs.readdirSync(path.join(repoRoot, "examples"), { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".yaml") || file.endsWith(".yml"))
  .sort()

const valid = `version: 1
concurrency: 4
sources:
  - type: urls
    urls: ["https://example.com/meeting.mp3"]
provider:
  type: qwen
  model: qwen3-asr-flash
  region: cn-beijing
  sample_rate: 16000
sinks:
  - type: srt
    max_line_chars: 42
    max_lines: 2
  - type: vtt
    max_line_chars: 40
    max_lines: 3
`

const edit = (line: string, replacement: string) => {
  assert.strictEqual(valid.split(line).length, 2, `one "${line}" in the valid document`)
  return valid.replace(line, replacement)
}

// Every bound the decoder enforces, and the six that draft-07 ignored next to a `$ref` among them.
const invalid: ReadonlyArray<readonly [name: string, yaml: string, path: string]> = [
  ["concurrency: 0", edit("concurrency: 4", "concurrency: 0"), "concurrency"],
  ["concurrency: 257", edit("concurrency: 4", "concurrency: 257"), "concurrency"],
  ["sample_rate: 0", edit("sample_rate: 16000", "sample_rate: 0"), "provider.sample_rate"],
  ["srt max_line_chars: 7", edit("max_line_chars: 42", "max_line_chars: 7"), "sinks[0].max_line_chars"],
  ["srt max_lines: 9", edit("max_lines: 2", "max_lines: 9"), "sinks[0].max_lines"],
  ["vtt max_line_chars: 201", edit("max_line_chars: 40", "max_line_chars: 201"), "sinks[1].max_line_chars"],
  ["vtt max_lines: 0", edit("max_lines: 3", "max_lines: 0"), "sinks[1].max_lines"],
  ["concurrency: 2.5", edit("concurrency: 4", "concurrency: 2.5"), "concurrency"],
  ["region: mars", edit("region: cn-beijing", "region: mars"), "provider.region"],
  ["version: 2", edit("version: 1", "version: 2"), "version"],
  ["an unknown key", edit("concurrency: 4", "concurrency: 4\ncolour: blue"), "colour"],
  ["no sinks", valid.slice(0, valid.indexOf("sinks:")) + "sinks: []\n", "sinks"]
]

// `${VAR}` where the loader interpolates: numbers, booleans and enums too (unset, so defaults apply).
const withReferences = edit("concurrency: 4", "concurrency: ${ASRFLOW_TEST_UNSET:-8}")
  .replace("region: cn-beijing", "region: ${ASRFLOW_TEST_UNSET:-us-east-1}\n  enable_itn: ${ASRFLOW_TEST_UNSET:-true}")
  .replace("max_lines: 2", "max_lines: ${ASRFLOW_TEST_UNSET:-3}")

const validate = async (yaml: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asrflow-schema-"))
  try {
    const file = path.join(dir, "pipeline.yaml")
    fs.writeFileSync(file, yaml)
    return await runCli(["validate", file, "--output-dir", path.join(dir, "out")], { cwd: dir })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

describe("schema/pipeline.schema.json", () => {
  it("is a draft 2020-12 schema", () => {
    assert.strictEqual(schema.$schema, "https://json-schema.org/draft/2020-12/schema")
  })

  it("finds the shipped examples", () => {
    assert.includeMembers(examples, [
      "long-files/pipeline.yaml",
      "manifest/pipeline.yaml",
      "quickstart/pipeline.yaml"
    ])
  })

  for (const example of examples) {
    it(`accepts examples/${example}, \${VAR} references included`, () => {
      const document = Yaml.parse(fs.readFileSync(path.join(repoRoot, "examples", example), "utf8"))
      assert.isTrue(validator(document), JSON.stringify(validator.errors, null, 2))
    })
  }

  it("accepts ${VAR} references in numbers, booleans and enums, as asrflow validate does", async () => {
    assert.isTrue(validator(Yaml.parse(withReferences)), JSON.stringify(validator.errors, null, 2))
    const { code, stderr, stdout } = await validate(withReferences)
    assert.strictEqual(code, 0, stderr)
    assert.include(stdout, "asrflow validate: OK")
  })

  it("accepts the document the invalid ones are made from", async () => {
    assert.isTrue(validator(Yaml.parse(valid)), JSON.stringify(validator.errors, null, 2))
    const { code, stderr } = await validate(valid)
    assert.strictEqual(code, 0, stderr)
  })

  for (const [name, yaml, key] of invalid) {
    it(`rejects ${name}, as asrflow validate does`, async () => {
      assert.isFalse(validator(Yaml.parse(yaml)), `the schema accepts ${name}`)
      const { code, stderr } = await validate(yaml)
      assert.strictEqual(code, 2, `asrflow validate accepts ${name}`)
      assert.include(stderr, key)
    })
  }
})
