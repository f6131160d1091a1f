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

  it.scoped("reads a manifest larger than its read chunks as one: keys, duplicates and lines hold across them", () =>
    Effect.gen(function*() {
      // about 300 KB: read in several chunks, with quoted cells over several lines spread through it
      const rows = 6000
      const lines = ["audio,context,output_key"]
      const lineOf = new Map<number, number>()
      let line = 1
      for (let i = 0; i < rows; i++) {
        const row = i === 0
          ? "a.wav,,fixed/first"
          : i % 997 === 0
          ? `clips/c-${i}.wav,"spoken over\ntwo lines, with a ""quote""",`
          : `clips/c-${i}.wav,some context for row ${i},`
        lines.push(row)
        // a row's line is where it ends (the parser's count), as before the manifest streamed
        line += i % 997 === 0 && i > 0 ? 2 : 1
        lineOf.set(i, line)
      }
      // at the very end: a derived key the first rows have too, an explicit key used at the top, a bad row
      lines.push("a.mp3,,", "clips/late.wav,,fixed/first", "clips/c-1.wav,again,", ",,")
      const base = yield* setup({ "big.csv": lines.join("\n") + "\n" })
      const entries = yield* collect(ManifestSource.component.make(config({ path: "big.csv" })), base)
      const summary = summarize(entries, base)
      assert.strictEqual(summary.length, rows + 4)
      assert.strictEqual(summary[0], "fixed/first <- a.wav")
      // the second row's key collides with one at the very end: both keep their extension
      assert.strictEqual(summary[1], "clips/c-1.wav <- clips/c-1.wav")
      assert.strictEqual(summary[2], "clips/c-2 <- clips/c-2.wav")
      const items = entries.flatMap((entry) => Either.isRight(entry) ? [entry.right] : [])
      // every row knows its line, past each cell that took two
      for (const i of [1, 996, 997, 998, 1994, 5999]) {
        assert.strictEqual(items[i].origin, `manifest big.csv:${lineOf.get(i)}`, `row ${i}`)
      }
      assert.strictEqual(items[997].overrides?.context, "spoken over\ntwo lines, with a \"quote\"")
      const last = lineOf.get(rows - 1)! + 1
      assert.deepStrictEqual(summary.slice(rows), [
        "a <- a.mp3",
        `! InvalidRow big.csv:${last + 1}: \`output_key\` \`fixed/first\` is already used at line 2`,
        "clips/c-1.wav~2 <- clips/c-1.wav",
        `! InvalidRow big.csv:${last + 3}: column \`audio\` is empty`
      ])
      // the same file twice keeps distinct ids
      assert.strictEqual(items[rows + 1].id, `${base}/clips/c-1.wav#L${last + 2}`)
    }))

  it.scoped("reports an unclosed quote near the end of a large manifest, and keeps every row before it", () =>
    Effect.gen(function*() {
      const rows = Array.from({ length: 5000 }, (_, i) => `clips/c-${i}.wav,row ${i} of a long manifest`)
      const text = ["audio,context", ...rows, "late.wav,\"never closed", "x.wav,y", ""].join("\n")
      const base = yield* setup({ "q.csv": text })
      const summary = summarize(yield* collect(ManifestSource.component.make(config({ path: "q.csv" })), base), base)
      assert.strictEqual(summary.length, 5001)
      assert.strictEqual(summary[4999], "clips/c-4999 <- clips/c-4999.wav")
      assert.strictEqual(
        summary[5000],
        "! InvalidRow q.csv:5002: a quote opened on line 5002 is never closed, so lines 5002-5003 were read as one " +
          "cell and skipped; close the quote (a quote inside a cell is written twice: \"\")"
      )
    }))

  it.scoped("reads a large JSONL manifest with CRLF line ends and a BOM across its chunks", () =>
    Effect.gen(function*() {
      const rows = Array.from(
        { length: 4000 },
        (_, i) => JSON.stringify({ audio: `c-${i}.wav`, context: "é".repeat(20) })
      )
      const text = "\uFEFF" + [...rows, "", JSON.stringify({ audio: "c-0.mp3" }), "{oops"].join("\r\n") + "\r\n"
      const base = yield* setup({ "rows.jsonl": text })
      const entries = yield* collect(ManifestSource.component.make(config({ path: "rows.jsonl" })), base)
      const summary = summarize(entries, base).map((line) => line.replace(/^(.*invalid JSON):.*$/, "$1"))
      assert.strictEqual(summary.length, 4002)
      assert.strictEqual(summary[0], "c-0.wav <- c-0.wav", "a key another row has too takes its extension")
      assert.strictEqual(summary[1], "c-1 <- c-1.wav")
      assert.deepStrictEqual(summary.slice(4000), ["c-0.mp3 <- c-0.mp3", "! InvalidRow rows.jsonl:4003: invalid JSON"])
      const items = entries.flatMap((entry) => Either.isRight(entry) ? [entry.right] : [])
      assert.strictEqual(items[3999].overrides?.context, "é".repeat(20))
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
