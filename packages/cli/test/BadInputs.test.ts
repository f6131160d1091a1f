import { startEmulator } from "@asrflow/emulator"
import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { emulatorEnv, runCli, tempDir } from "./utils/Cli.js"
import type { Clips } from "./utils/Hostile.js"
import { assertNoStackTrace, makeClips, tempFilesUnder, writePipeline } from "./utils/Hostile.js"

// One table of bad inputs, each run through the built binary against one emulator: files, manifests,
// pipeline files, flags, the environment and service faults. For every case: the exit code, a message
// with the expected words, no stack trace, no temporary file left, and the good items still written.

const work = tempDir("asrflow-bad-")
let clips: Clips
let emulator: StartedEmulator
let closedPort: number

beforeAll(async () => {
  clips = makeClips(work)
  emulator = await startEmulator({ rate_limits: { enabled: false }, tasks: { pending_ms: 20, running_ms: 50 } })
  // a port nothing listens on: bound, then released
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  closedPort = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
}, 120_000)

afterAll(async () => {
  await emulator?.close()
})

interface Setup {
  readonly dir: string
  readonly out: string
  readonly env: Record<string, string | undefined>
}

interface Case {
  readonly name: string
  /** Writes the case's files; returns the arguments (and environment changes) of the one command. */
  readonly setup: (s: Setup) => {
    readonly args: ReadonlyArray<string>
    readonly env?: Record<string, string | undefined> | undefined
  }
  readonly emulator?: Record<string, unknown>
  readonly code: number
  readonly words: RegExp
  /** Files under the output root that must be there afterwards: what the good items wrote. */
  readonly good?: ReadonlyArray<string>
}

const copy = (from: string, dir: string, name: string) => {
  const to = path.join(dir, name)
  fs.mkdirSync(path.dirname(to), { recursive: true })
  fs.copyFileSync(from, to)
  return to
}

const write = (dir: string, name: string, content: string | Uint8Array) => {
  const to = path.join(dir, name)
  fs.mkdirSync(path.dirname(to), { recursive: true })
  fs.writeFileSync(to, content)
  return to
}

/** A folder `audio/` with good.wav and `bad`, run as a files source. */
const folderWith = (bad: (dir: string) => void) => (s: Setup) => {
  copy(clips.wav, s.dir, "audio/good.wav")
  bad(s.dir)
  return { args: ["run", writePipeline(s.dir, ["  - type: files", "    include: [audio]"])] }
}

/** The good folder as the first source, then `more` sources (YAML list items), with a provider block. */
const goodAnd = (more: ReadonlyArray<string>, providerLines: ReadonlyArray<string> = []) => (s: Setup) => {
  copy(clips.wav, s.dir, "audio/good.wav")
  return {
    args: [
      "run",
      writePipeline(s.dir, ["  - type: files", "    include: [audio]", ...more], { provider: providerLines })
    ]
  }
}

/** A manifest `name` with `content` next to good.wav, run as a manifest source. */
const manifest = (name: string, content: string, extra: ReadonlyArray<string> = []) => (s: Setup) => {
  copy(clips.wav, s.dir, "good.wav")
  write(s.dir, name, content)
  return { args: ["run", writePipeline(s.dir, ["  - type: manifest", `    path: ${name}`, ...extra])] }
}

/** The good folder run with extra arguments (and environment changes). */
const goodRun =
  (extra: ReadonlyArray<string>, env?: (s: Setup) => Record<string, string | undefined>) => (s: Setup) => ({
    args: [...goodAnd([])(s).args, ...extra],
    env: env?.(s)
  })

/** `asrflow transcribe --audio good.wav` with extra flags. */
const transcribe = (extra: ReadonlyArray<string>) => (s: Setup) => ({
  args: ["transcribe", "--audio", copy(clips.wav, s.dir, "good.wav"), ...extra]
})

/** The good folder and a second file, through the async model (upload, submit, poll, result). */
const asyncRun = (s: Setup) => {
  copy(clips.wav, s.dir, "audio/good.wav")
  copy(clips.otherWav, s.dir, "audio/other.wav")
  return {
    args: [
      "run",
      writePipeline(s.dir, ["  - type: files", "    include: [audio]"], {
        provider: ["  model: qwen3-asr-flash-filetrans"]
      })
    ]
  }
}

const good = ["transcripts/good.txt"]

const cases: ReadonlyArray<Case> = [
  // ---- files -------------------------------------------------------------------------------------
  {
    name: "an empty file",
    setup: folderWith((dir) => write(dir, "audio/empty.wav", "")),
    code: 1,
    words: /empty\.wav.*the file is empty \(0 bytes\)/,
    good
  },
  {
    name: "a text file named .wav",
    setup: folderWith((dir) => write(dir, "audio/notes.wav", "meeting notes, not audio\n")),
    code: 1,
    words: /notes\.wav.*not a recognised audio file/,
    good
  },
  {
    name: "a WAV cut off in a copy",
    setup: folderWith((dir) => copy(clips.cutWav, dir, "audio/cut.wav")),
    code: 1,
    words: /cut\.wav.*cut off or corrupt: its header announces \d+\.\d s of audio but it holds \d+\.\d s/,
    good
  },
  {
    name: "an mp3 cut off in a download (billed at its header's length before)",
    setup: folderWith((dir) => copy(clips.cutMp3, dir, "audio/cut.mp3")),
    code: 1,
    words: /cut\.mp3.*cut off or corrupt.*nothing was sent/,
    good
  },
  {
    name: "a file name with a line break and an ANSI escape",
    setup: folderWith((dir) => copy(clips.otherWav, dir, "audio/evil\n\u001b[31mred.wav")),
    code: 0,
    // the line names the output, whose name has no control character left (ESC and the line break are _)
    words: /^asrflow: \[\d\/2\] wrote \S*transcripts\/evil__\[31mred~[0-9a-f]{8}\.txt \(\+1 more\)$/m,
    good
  },
  {
    name: "a glob that matches nothing next to a good source",
    setup: goodAnd(["  - type: files", "    include: [\"missing/**/*.wav\"]"]),
    code: 0,
    words: /warn: sources\[1\] \(files\) matched nothing/,
    good
  },
  {
    name: "an empty folder as the only source",
    setup: (s) => {
      fs.mkdirSync(path.join(s.dir, "empty"))
      return { args: ["run", writePipeline(s.dir, ["  - type: files", "    include: [empty]"])] }
    },
    code: 1,
    words: /no source matched any recording/
  },
  // ---- manifests ---------------------------------------------------------------------------------
  {
    name: "a manifest row naming a missing file",
    setup: manifest("inputs.csv", "audio\ngood.wav\ngone/missing.wav\n"),
    code: 1,
    words: /missing\.wav.*the file does not exist/,
    good
  },
  {
    name: "a manifest that does not exist, next to a good source",
    setup: goodAnd(["  - type: manifest", "    path: nowhere.csv"]),
    code: 1,
    words: /nowhere\.csv: the manifest .*nowhere\.csv does not exist/,
    good
  },
  {
    name: "a CSV manifest without an audio column",
    setup: manifest("inputs.csv", "file,model\ngood.wav,qwen3-asr-flash\n"),
    code: 1,
    words: /inputs\.csv:1: the header has no `audio` column \(columns: file, model\)/
  },
  {
    name: "a CSV manifest with a quote that is never closed",
    setup: manifest("inputs.csv", "audio,context\ngood.wav,fine\nother.wav,\"unclosed\nthird.wav,ok\n"),
    code: 1,
    words: /inputs\.csv:3: a quote opened on line 3 is never closed, so lines 3-4 were read as one cell/,
    good
  },
  {
    name: "a JSONL row with a list given as a string",
    setup: manifest("inputs.jsonl", `{"audio":"good.wav"}\n{"audio":"good.wav","language_hints":"zh"}\n`),
    code: 1,
    words: /inputs\.jsonl:2: field `language_hints`: expected a list of strings, got "zh"/,
    good
  },
  {
    name: "a JSONL line that is not JSON",
    setup: manifest("inputs.jsonl", `{"audio":"good.wav"}\n{audio: good.wav}\n`),
    code: 1,
    words: /inputs\.jsonl:2: invalid JSON/,
    good
  },
  {
    name: "a manifest row with a misspelt model",
    setup: (s) => {
      copy(clips.otherWav, s.dir, "other.wav")
      return manifest("inputs.csv", "audio,model\ngood.wav,\nother.wav,qwen3-asr-flahs\n")(s)
    },
    code: 1,
    words: /unknown model "qwen3-asr-flahs"; did you mean `qwen3-asr-flash`\?/,
    good
  },
  {
    name: "validate: a manifest row naming a missing file",
    setup: (s) => ({ args: ["validate", ...manifest("inputs.csv", "audio\ngood.wav\ngone.wav\n")(s).args.slice(1)] }),
    code: 1,
    words: /rejected: inputs\.csv:3: .*gone\.wav does not exist/
  },
  // ---- pipeline files ----------------------------------------------------------------------------
  {
    name: "an audio file given as the pipeline",
    setup: (s) => ({ args: ["run", copy(clips.wav, s.dir, "talk.wav")] }),
    code: 2,
    words: /talk\.wav {2}\(root\) {2}not a text file \(a NUL byte at offset \d+\)/
  },
  {
    name: "a misspelt model in the pipeline",
    setup: goodAnd([], ["  model: qwen3-asr-flahs"]),
    code: 2,
    words: /provider\.model {2}unknown model "qwen3-asr-flahs"; did you mean `qwen3-asr-flash`\?/
  },
  {
    name: "a misspelt region in the pipeline",
    setup: goodAnd([], ["  region: cn-bejing"]),
    code: 2,
    words: /provider\.region {2}expected one of .*got "cn-bejing"; did you mean `cn-beijing`\?/
  },
  {
    name: "a concurrency of 0 in the pipeline",
    setup: (s) => {
      copy(clips.wav, s.dir, "audio/good.wav")
      const file = writePipeline(s.dir, ["  - type: files", "    include: [audio]"])
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("concurrency: 2", "concurrency: 0"))
      return { args: ["run", file] }
    },
    code: 2,
    words: /concurrency {2}expected an integer between 1 and 256, got 0/
  },
  // ---- flags -------------------------------------------------------------------------------------
  {
    name: "--concurrency 0",
    setup: goodRun(["--concurrency", "0"]),
    code: 2,
    words: /--concurrency: expected an integer between 1 and 256, got 0/
  },
  {
    name: "--concurrency -1",
    setup: goodRun(["--concurrency", "-1"]),
    code: 2,
    words: /--concurrency: expected an integer between 1 and 256, got -1/
  },
  {
    name: "--concurrency 99999",
    setup: goodRun(["--concurrency", "99999"]),
    code: 2,
    words: /--concurrency: .*between 1 and 256, got 99999/
  },
  {
    name: "--concurrency abc",
    setup: goodRun(["--concurrency", "abc"]),
    code: 2,
    words: /--concurrency: expected an integer between 1 and 256, got "abc"/
  },
  {
    name: "transcribe --model whisper-1",
    setup: transcribe(["--model", "whisper-1"]),
    code: 2,
    words: /--model: unknown model "whisper-1"\. Known families: /
  },
  {
    name: "transcribe --region eu-west-1",
    setup: transcribe(["--region", "eu-west-1"]),
    code: 2,
    words: /--region: expected one of "cn-beijing", "ap-southeast-1", "us-east-1", got "eu-west-1"/
  },
  {
    name: "transcribe --format docx",
    setup: transcribe(["--format", "docx"]),
    code: 2,
    words: /--format: expected one of "txt", "json", "srt", "vtt", got "docx"/
  },
  {
    name: "transcribe --poll-interval -1",
    setup: transcribe(["--poll-interval", "-1"]),
    code: 2,
    words: /--poll-interval: expected a positive number of seconds, got -1/
  },
  {
    name: "transcribe --timestamp-granularities sentense",
    setup: transcribe(["--timestamp-granularities", "sentense"]),
    code: 2,
    words: /--timestamp-granularities: .*got "sentense"; did you mean `sentence`\?/
  },
  // ---- environment -------------------------------------------------------------------------------
  {
    name: "no key anywhere",
    setup: goodRun([], () => ({ DASHSCOPE_API_KEY: undefined })),
    code: 3,
    words: /No DashScope API key found/
  },
  {
    name: "a key with a line break in it",
    setup: goodRun([], () => ({ DASHSCOPE_API_KEY: "sk-emulator\nsk-second" })),
    code: 3,
    words: /the DashScope API key from DASHSCOPE_API_KEY has a line break inside it/
  },
  {
    name: "a key the service rejects",
    setup: goodRun([], () => ({ DASHSCOPE_API_KEY: "sk-wrong-key" })),
    code: 3,
    words: /^asrflow: unauthorized: the API key was rejected/m
  },
  {
    name: "a service that refuses connections",
    setup: goodRun([], () => ({ DASHSCOPE_HTTP_BASE_URL: `http://127.0.0.1:${closedPort}/api/v1` })),
    code: 3,
    words:
      /^asrflow: unreachable: no connection to http:\/\/127\.0\.0\.1:\d+\/api\/v1 \(connection refused \(ECONNREFUSED\)\)/m
  },
  {
    name: "a base URL without its path (404)",
    setup: goodRun([], () => ({ DASHSCOPE_HTTP_BASE_URL: `${emulator.origin}/v1` })),
    code: 3,
    words: /^asrflow: not found: the endpoint answered 404 Not Found: the base URL or the region is wrong/m
  },
  {
    name: "an output directory under a file",
    setup: goodRun([], (s) => ({ OUTPUT_DIR: path.join(write(s.dir, "plain-file", "x"), "out") })),
    code: 2,
    words: /^asrflow: the output directory .* cannot be used: .*plain-file is a file, not a directory/m
  },
  {
    name: "an output directory that cannot be created (/proc)",
    setup: goodRun(["--output-dir", "/proc/asrflow-no-such/out"]),
    code: 2,
    words:
      /^asrflow: the output directory \/proc\/asrflow-no-such\/out cannot be used: cannot create \/proc\/asrflow-no-such/m
  },
  {
    name: "a ledger file that is not a database",
    setup: (s) => {
      write(
        s.dir,
        "out/aliyun-qwen-asr/ledger.sqlite",
        "these bytes are not an SQLite database, whatever the name".repeat(4)
      )
      return goodRun([])(s)
    },
    code: 2,
    words: /^asrflow: the ledger .*ledger\.sqlite cannot be opened \(file is not a database\)/m
  },
  // ---- service faults ----------------------------------------------------------------------------
  {
    name: "one sync request refused with 400",
    setup: (s) => {
      copy(clips.otherWav, s.dir, "audio/a-first.wav")
      // one at a time, so that the first request is a-first.wav's
      return goodRun(["--concurrency", "1"])(s)
    },
    emulator: { faults: [{ endpoint: "sync", kind: "error", status: 400, code: "InvalidParameter", at: [1] }] },
    code: 1,
    words: /failed .*a-first\.wav: InvalidRequest .*InvalidParameter.*\[HTTP 400/,
    good
  },
  {
    name: "an audio URL the service cannot fetch (async)",
    setup: goodAnd(["  - type: urls", "    urls: [\"https://unreachable.example/private.wav\"]"], [
      "  model: qwen3-asr-flash-filetrans"
    ]),
    code: 1,
    words: /private\.wav.*the service could not fetch the audio from its URL \(FILE_403_FORBIDDEN/,
    good
  },
  {
    name: "an upload reply cut off after its headers",
    setup: asyncRun,
    emulator: { faults: [{ endpoint: "upload", kind: "truncate", at: [1], truncate_at: 0 }] },
    code: 0,
    words: /2 done, 0 failed/,
    good: ["transcripts/good.txt", "transcripts/other.txt"]
  },
  {
    name: "a submit that says the uploaded file is gone",
    setup: asyncRun,
    emulator: { faults: [{ endpoint: "submit", kind: "oss_missing", at: [1] }] },
    code: 0,
    words: /warn: the uploaded file is gone .*; uploading it again/,
    good: ["transcripts/good.txt", "transcripts/other.txt"]
  },
  {
    name: "a result download cut off",
    setup: asyncRun,
    emulator: { faults: [{ endpoint: "result", kind: "truncate", at: [1] }] },
    code: 0,
    words: /warn: retrying after Transport/,
    good: ["transcripts/good.txt", "transcripts/other.txt"]
  }
]

describe("bad inputs (table)", () => {
  it("has at least 30 cases", () => {
    assert.isAtLeast(cases.length, 30)
  })

  for (const [index, entry] of cases.entries()) {
    it(`${index + 1}. ${entry.name}`, async () => {
      const dir = fs.mkdtempSync(path.join(work, "case-"))
      const out = path.join(dir, "out")
      const env = { ...emulatorEnv(emulator, out), HOME: dir }
      await emulator.setConfig({ faults: [], ...entry.emulator })
      const { args, env: extra } = entry.setup({ dir, out, env })
      const result = await runCli(args, { cwd: dir, env: { ...env, ...extra }, timeoutMs: 90_000 })
      const shown = `${result.stdout}\n${result.stderr}`
      assert.strictEqual(result.code, entry.code, shown)
      assert.match(shown, entry.words, shown)
      assertNoStackTrace(shown, entry.name)
      assert.deepStrictEqual(tempFilesUnder(dir), [], "no temporary file is left")
      for (const file of entry.good ?? []) {
        assert.isTrue(fs.existsSync(path.join(out, "aliyun-qwen-asr", file)), `${file} was written\n${shown}`)
      }
      assert.deepStrictEqual((await emulator.report()).violations, [])
    }, 120_000)
  }
})
