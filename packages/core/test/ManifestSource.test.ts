import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import * as ManifestSource from "../src/ManifestSource.js"
import { collect, summarize } from "./utils/sources.js"

const config = (fields: Record<string, unknown>) =>
  Schema.decodeUnknownSync(ManifestSource.Config)({ type: "manifest", ...fields })

const setup = (files: Record<string, string>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const base = yield* fs.realPath(yield* fs.makeTempDirectoryScoped({ prefix: "asrflow-manifest-" }))
    for (const [rel, content] of Object.entries(files)) {
      const file = path.join(base, rel)
      yield* fs.makeDirectory(path.dirname(file), { recursive: true })
      yield* fs.writeFileString(file, content)
    }
    return base
  })

const csv = [
  "audio,model,language_hints,context,output_key,speaker,metadata,langauge_hints",
  "audio/a.wav,qwen3-asr-flash,zh|en,Glossary: asrflow,,alice,\"{\"\"session\"\":1}\",",
  "audio/b/x.wav,,\"en, ja\",,custom/key,,,",
  ",,,,,bob,,",
  "https://cdn.example.com/c/d.mp3?sig=1,,,,,,,",
  "ftp://files.example.com/x.wav,,,,,,,",
  "audio/c.wav,,,,custom/key,,,",
  "audio/e.wav,,,,,,not json,",
  "",
  "../outside/o.wav,,,,,,,",
  "audio/a.mp3,,,,../escape,,,",
  "\"audio/multi",
  "line.wav\",,,,,,,"
].join("\n") + "\n"

layer(NodeContext.layer)("ManifestSource", (it) => {
  it.scoped("reads a CSV manifest: overrides, metadata, URLs, and bad rows with their line numbers", () =>
    Effect.gen(function*() {
      const base = yield* setup({ "data/inputs.csv": csv })
      const entries = yield* collect(ManifestSource.component.make(config({ path: "data/inputs.csv" })), base)
      assert.deepStrictEqual(summarize(entries, base), [
        "! InvalidRow data/inputs.csv:1: column `langauge_hints` looks like a misspelling of `language_hints`; rename it (unknown columns go to metadata)",
        "audio/a <- data/audio/a.wav",
        "custom/key <- data/audio/b/x.wav",
        "! InvalidRow data/inputs.csv:4: column `audio` is empty",
        "cdn.example.com/c/d <- https://cdn.example.com/c/d.mp3?sig=1",
        "! InvalidPath data/inputs.csv:6: `ftp://files.example.com/x.wav` has an unsupported scheme `ftp:`; use http, https or oss",
        "! InvalidRow data/inputs.csv:7: `output_key` `custom/key` is already used at line 3",
        "! InvalidRow data/inputs.csv:8: column `metadata` must hold a JSON object, e.g. {\"speaker\":\"A\"}",
        "o <- outside/o.wav",
        "! InvalidRow data/inputs.csv:11: `output_key` must be a relative path without `..` segments",
        "audio/multi_line <- data/audio/multi\nline.wav"
      ])
      const items = entries.flatMap((entry) => Either.isRight(entry) ? [entry.right] : [])
      const first = items[0]
      assert.strictEqual(first.id, `${base}/data/audio/a.wav`)
      assert.strictEqual(first.kind, "file")
      assert.strictEqual(first.origin, "manifest data/inputs.csv:2")
      assert.deepStrictEqual(first.overrides, {
        model: "qwen3-asr-flash",
        language_hints: ["zh", "en"],
        context: "Glossary: asrflow"
      })
      assert.deepStrictEqual(first.metadata, { speaker: "alice", session: 1 })
      assert.deepStrictEqual(items[1].overrides?.language_hints, ["en", "ja"])
      assert.isUndefined(items[1].metadata)
      assert.strictEqual(items[2].kind, "url")
      assert.isUndefined(items[2].overrides)
    }))

  it.scoped("reads a JSONL manifest with base_dir, and reports bad lines", () =>
    Effect.gen(function*() {
      const jsonl = [
        JSON.stringify({ audio: "a.wav", language_hints: ["zh"], metadata: { speaker: "bob", turn: 2 } }),
        "",
        JSON.stringify({ audio: "b.wav", langauge_hints: ["zh"] }),
        "{not json",
        "[1, 2]",
        JSON.stringify({ audio: 3, model: "" }),
        JSON.stringify({ audio: "a.wav", model: "qwen3-asr-flash-filetrans" }),
        JSON.stringify({ audio: "sub/a.mp3", output_key: "named" }),
        JSON.stringify({ audio: "oss://bucket/dir/x.wav" })
      ].join("\n")
      const base = yield* setup({ "lists/batch.jsonl": jsonl })
      const entries = yield* collect(
        ManifestSource.component.make(config({ path: "lists/batch.jsonl", base_dir: "recordings" })),
        base
      )
      // the JSON parser's wording varies between Node versions
      const lines = summarize(entries, base).map((line) => line.replace(/^(.*invalid JSON):.*$/, "$1"))
      assert.deepStrictEqual(lines, [
        "a.wav <- recordings/a.wav",
        "! InvalidRow lists/batch.jsonl:3: unknown key `langauge_hints`; did you mean `language_hints`? (put free fields under `metadata`)",
        "! InvalidRow lists/batch.jsonl:4: invalid JSON",
        "! InvalidRow lists/batch.jsonl:5: expected a JSON object with an `audio` key",
        "! InvalidRow lists/batch.jsonl:6: field `audio`: expected a string, got 3; field `model`: expected a non empty string, got \"\"",
        "a.wav~2 <- recordings/a.wav",
        "named <- recordings/sub/a.mp3",
        "bucket/dir/x <- oss://bucket/dir/x.wav"
      ])
      const items = entries.flatMap((entry) => Either.isRight(entry) ? [entry.right] : [])
      assert.deepStrictEqual(items[0].metadata, { speaker: "bob", turn: 2 })
      // the same file twice keeps distinct ids
      assert.strictEqual(items[0].id, `${base}/recordings/a.wav`)
      assert.strictEqual(items[1].id, `${base}/recordings/a.wav#L7`)
      assert.strictEqual(items[1].overrides?.model, "qwen3-asr-flash-filetrans")
    }))

  it.scoped("reports an unclosed quote where it opened with the lines it took, and keeps the rows before it", () =>
    Effect.gen(function*() {
      const base = yield* setup({
        "q.csv": ["audio,context", "a.wav,fine", "b.wav,\"unclosed", "c.wav,ok", "d.wav,also swallowed", ""].join("\n")
      })
      const entries = yield* collect(ManifestSource.component.make(config({ path: "q.csv" })), base)
      assert.deepStrictEqual(summarize(entries, base), [
        "a <- a.wav",
        "! InvalidRow q.csv:3: a quote opened on line 3 is never closed, so lines 3-5 were read as one cell and skipped; close the quote (a quote inside a cell is written twice: \"\")"
      ])
    }))

  it.scoped("names a JSONL field and what it takes in words, never a schema type", () =>
    Effect.gen(function*() {
      const jsonl = [
        JSON.stringify({ audio: "a.wav", language_hints: "zh" }),
        JSON.stringify({ audio: "b.wav", language_hints: ["zh", ""] }),
        JSON.stringify({ model: "x" })
      ].join("\n")
      const base = yield* setup({ "rows.jsonl": jsonl })
      const entries = yield* collect(ManifestSource.component.make(config({ path: "rows.jsonl" })), base)
      assert.deepStrictEqual(summarize(entries, base), [
        "! InvalidRow rows.jsonl:1: field `language_hints`: expected a list of strings, got \"zh\"",
        "! InvalidRow rows.jsonl:2: field `language_hints[1]`: expected a non empty string, got \"\"",
        "! InvalidRow rows.jsonl:3: field `audio` is missing"
      ])
    }))

  it.scoped("reports a missing manifest, an unknown format and a header without `audio`", () =>
    Effect.gen(function*() {
      const base = yield* setup({ "list.txt": "audio\na.wav\n", "no-audio.csv": "file,model\na.wav,x\n" })
      const run = (fields: Record<string, unknown>) =>
        collect(ManifestSource.component.make(config(fields)), base).pipe(
          Effect.map((entries) => summarize(entries, base))
        )
      assert.deepStrictEqual(yield* run({ path: "missing.csv" }), [
        `! NotFound missing.csv: the manifest ${base}/missing.csv does not exist`
      ])
      assert.deepStrictEqual(yield* run({ path: "list.txt" }), [
        "! InvalidPath list.txt: cannot tell the manifest's format from its extension; set `format: csv` or `format: jsonl`"
      ])
      assert.deepStrictEqual(yield* run({ path: "list.txt", format: "csv" }), ["a <- a.wav"])
      assert.deepStrictEqual(yield* run({ path: "no-audio.csv" }), [
        "! InvalidRow no-audio.csv:1: the header has no `audio` column (columns: file, model)"
      ])
    }))
})
