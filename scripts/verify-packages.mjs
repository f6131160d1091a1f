// `npm run verify:packages`: the packages as a user gets them. Builds and packs every workspace package,
// installs the tarballs outside the workspace (npm's cache may serve third-party packages; @asrflow/* can
// only come from the tarballs: their scope points at an unreachable registry), and checks:
//   1. the CLI, installed alone with `npm i -g` into a scratch prefix, and with `npx` in a project:
//      `asrflow --version`, `asrflow-emulator --help`, and the quickstart run with --emulator;
//   2. the Promise API from a plain .mjs under `node`: silent on stderr unless asked (`verbose`);
//   3. TypeScript consumers, one on the Effect API (examples/embed.ts) and one on the Promise API, with
//      the consumer's own `effect` at another patch version than the repo's: `tsc --noEmit` under strict,
//      nodenext, exactOptionalPropertyTypes and noUncheckedIndexedAccess without errors, one copy of
//      effect installed, and no "Executing an Effect versioned …" warning when they run;
//   4. publint and @arethetypeswrong/cli on every tarball: no errors.
// Everything happens in one temporary directory, removed at the end whatever happened.
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const work = fs.mkdtempSync(path.join(os.tmpdir(), "asrflow-verify-"))
const cleanup = () => fs.rmSync(work, { recursive: true, force: true })
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    cleanup()
    process.exit(130)
  })
}

const failures = []
const pass = (message) => console.log(`  ok    ${message}`)
const fail = (message, detail = "") => {
  failures.push(message)
  console.log(`  FAIL  ${message}${detail === "" ? "" : `\n${detail.trim().replace(/^/gm, "        ")}`}`)
}
const check = (condition, message, detail) => condition ? pass(message) : fail(message, detail)
const section = (title) => console.log(`\n${title}`)

// children write their temporary files under `work`, so that nothing outlives the run
const scratchTmp = path.join(work, "tmp")
fs.mkdirSync(scratchTmp)
const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? work,
    encoding: "utf8",
    env: { ...process.env, TMPDIR: scratchTmp, npm_config_update_notifier: "false", ...options.env },
    maxBuffer: 64 * 1024 * 1024
  })
  return { code: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "", error: result.error }
}
const must = (result, what) => {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`)
  return result
}
const npm = (args, options) => run("npm", [...args, "--no-audit", "--no-fund", "--@asrflow:registry=http://127.0.0.1:9/"], options)
const version = (pkg) => JSON.parse(fs.readFileSync(path.join(root, "node_modules", pkg, "package.json"), "utf8")).version
const rootBin = (name) => path.join(root, "node_modules/.bin", name)

const listFiles = (dir) =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).filter((file) => fs.statSync(path.join(dir, file)).isFile()) : []

// =============================================================================
// build, pack, install
// =============================================================================

const build = () => {
  section("build and pack")
  must(run(process.execPath, [path.join(root, "scripts/build.mjs")], { cwd: root }), "npm run build")
  const tarballs = path.join(work, "tarballs")
  fs.mkdirSync(tarballs)
  const packed = JSON.parse(
    must(npm(["pack", "--workspaces", "--json", "--ignore-scripts", "--pack-destination", tarballs], { cwd: root }), "npm pack")
      .stdout
  )
  for (const { files, filename, name, size } of packed) {
    const paths = files.map((file) => file.path)
    const stray = paths.filter((file) => /(^|\/)(test|fixtures?)\/|tsconfig|\.test\./.test(file))
    check(stray.length === 0, `${name}: ${filename}, ${(size / 1024).toFixed(0)} kB, ${paths.length} files, no tests or fixtures`, stray.join("\n"))
    check(paths.includes("LICENSE"), `${name}: ships its LICENSE`)
  }
  return packed.map(({ filename, files, name }) => ({ name, files, file: path.join(tarballs, filename) }))
}

const quickstartCopy = (dir) => {
  fs.cpSync(path.join(root, "examples/quickstart"), path.join(dir, "quickstart"), { recursive: true })
  const audioFiles = listFiles(path.join(dir, "quickstart/audio")).filter((file) => /\.(wav|mp3|m4a|flac|ogg|opus|webm)$/.test(file))
  return { pipeline: path.join(dir, "quickstart/pipeline.yaml"), audioFiles }
}

// `asrflow run` of the quickstart with --emulator: exit 0 and one transcript per recording
const checkQuickstart = (label, runAsrflow, dir) => {
  const { audioFiles, pipeline } = quickstartCopy(dir)
  const output = path.join(dir, "out")
  const result = runAsrflow(["run", pipeline, "--emulator"], { cwd: dir, env: { OUTPUT_DIR: output } })
  const transcripts = listFiles(path.join(output, "aliyun-qwen-asr/transcripts")).filter((file) => file.endsWith(".txt"))
  check(
    result.code === 0 && transcripts.length === audioFiles.length,
    `${label} run quickstart/pipeline.yaml --emulator: exit ${result.code}, ${transcripts.length} transcripts for ${audioFiles.length} recordings`,
    result.stderr
  )
}

// =============================================================================
// 1. the CLI on its own: npm i -g into a scratch prefix
// =============================================================================

const checkGlobalCli = (cli) => {
  section("1. the CLI on its own (npm i -g into a scratch prefix; nothing else installed)")
  const prefix = path.join(work, "global")
  const installed = npm(["install", "--global", "--prefix", prefix, "--prefer-offline", cli.file])
  check(installed.code === 0, "npm i -g @asrflow/cli", installed.stderr)
  if (installed.code !== 0) return
  const manifest = JSON.parse(fs.readFileSync(path.join(prefix, "lib/node_modules/@asrflow/cli/package.json"), "utf8"))
  check(manifest.peerDependencies === undefined, "@asrflow/cli has no peer dependencies")
  const nested = listFiles(path.join(prefix, "lib/node_modules")).filter((file) => file.endsWith("effect/package.json"))
  check(nested.length === 0, "no copy of effect installed with it: the bundle carries its own", nested.join("\n"))
  const bin = (name) => path.join(prefix, "bin", name)
  const versionRun = run(bin("asrflow"), ["--version"])
  check(versionRun.code === 0 && versionRun.stdout.trim() === manifest.version, `asrflow --version: ${versionRun.stdout.trim()}`, versionRun.stderr)
  const emulatorHelp = run(bin("asrflow-emulator"), ["--help"])
  check(emulatorHelp.code === 0 && emulatorHelp.stdout.includes("usage: asrflow-emulator"), "asrflow-emulator --help", emulatorHelp.stderr)
  const dir = path.join(work, "global-run")
  fs.mkdirSync(dir)
  checkQuickstart("asrflow", (args, options) => run(bin("asrflow"), args, options), dir)
}

// =============================================================================
// the consumer project: every tarball, and the consumer's own effect
// =============================================================================

const [major, minor, patch] = version("effect").split(".").map(Number)
const consumerEffect = `${major}.${minor}.${patch === 0 ? 1 : patch - 1}`

const installConsumer = (packages) => {
  section(`the consumer project: every tarball, effect@${consumerEffect} (the repo has ${version("effect")})`)
  const dir = path.join(work, "consumer")
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
  const effectPackages = ["platform", "platform-node", "sql", "experimental", "cluster", "rpc", "workflow"].map(
    (name) => `@effect/${name}@${version(`@effect/${name}`)}`
  )
  // @effect/platform-node's declarations import `ws` without shipping its types: any consumer of it
  // with skipLibCheck off adds @types/ws, asrflow or not
  const tools = [`typescript@${version("typescript")}`, `@types/node@${version("@types/node")}`, "@types/ws@8.18.1"]
  must(
    npm(
      ["install", "--save-exact", "--prefer-offline", ...packages.map((pkg) => pkg.file), `effect@${consumerEffect}`, ...effectPackages, ...tools],
      { cwd: dir }
    ),
    "npm install in the consumer project"
  )
  const lock = JSON.parse(fs.readFileSync(path.join(dir, "package-lock.json"), "utf8")).packages
  const ours = Object.entries(lock).filter(([key]) => /node_modules\/@asrflow\//.test(key))
  const fromRegistry = ours.filter(([, entry]) => !String(entry.resolved ?? "file:").startsWith("file:"))
  check(
    ours.length === packages.length && fromRegistry.length === 0,
    `@asrflow/* come from the tarballs only (${ours.map(([key]) => key.replace(/.*node_modules\//, "")).join(", ")})`,
    fromRegistry.map(([key, entry]) => `${key}: ${entry.resolved}`).join("\n")
  )
  const effects = Object.entries(lock).filter(([key]) => /(^|\/)node_modules\/effect$/.test(key))
  check(
    effects.length === 1 && effects[0][1].version === consumerEffect,
    `one copy of effect, the consumer's: ${effects.map(([key, entry]) => `${key}@${entry.version}`).join(", ")}`
  )
  return dir
}

const checkNpxCli = (dir) => {
  section("1. the CLI through npx in the consumer project")
  const npx = (args, options) => run("npx", ["--no-install", ...args], options)
  const versionRun = npx(["asrflow", "--version"], { cwd: dir })
  check(versionRun.code === 0 && /^\d+\.\d+\.\d+$/.test(versionRun.stdout.trim()), `npx asrflow --version: ${versionRun.stdout.trim()}`, versionRun.stderr)
  checkQuickstart("npx asrflow", (args, options) => npx(["asrflow", ...args], options), dir)
}

// =============================================================================
// 2. the Promise API from plain Node
// =============================================================================

const promiseMjs = `import { runPipeline, transcribe } from "@asrflow/cli/api"
const verbose = process.argv.includes("--verbose")
const outputDir = process.env.OUTPUT_DIR
const response = await transcribe({ audio: "quickstart/audio/welcome.wav", model: "qwen3-asr-flash" }, { emulator: true, outputDir, verbose })
const summary = await runPipeline("quickstart/pipeline.yaml", { emulator: true, outputDir, verbose })
console.log(JSON.stringify({ status: response.status, text: response.text.length > 0, done: summary.done, failed: summary.failed }))
`

const checkPromiseApi = (dir) => {
  section("2. the Promise API from a plain .mjs under node (no loader)")
  fs.writeFileSync(path.join(dir, "promise.mjs"), promiseMjs)
  const quiet = run(process.execPath, ["promise.mjs"], { cwd: dir, env: { OUTPUT_DIR: path.join(dir, "out-mjs") } })
  check(quiet.code === 0, `node promise.mjs: exit ${quiet.code}, ${quiet.stdout.trim()}`, quiet.stderr)
  check(quiet.stdout.includes("\"status\":\"SUCCEEDED\""), "transcribe() resolved to a SUCCEEDED response", quiet.stdout)
  check(quiet.stderr === "", `nothing on stderr (${quiet.stderr.length} bytes)`, quiet.stderr)
  const verbose = run(process.execPath, ["promise.mjs", "--verbose"], { cwd: dir, env: { OUTPUT_DIR: path.join(dir, "out-mjs-verbose") } })
  check(
    verbose.code === 0 && /^asrflow: \[\d+\/\d+\] wrote /m.test(verbose.stderr),
    `with { verbose: true }: progress on stderr (${verbose.stderr.trim().split("\n").length} lines)`,
    verbose.stderr
  )
}

// =============================================================================
// 3. TypeScript consumers
// =============================================================================

const promiseTs = `import { AsrflowError, runPipeline, transcribe } from "@asrflow/cli/api"
import type { RunSummary, TranscribeResult } from "@asrflow/cli/api"

const outputDir = process.env.OUTPUT_DIR
const result: TranscribeResult = await transcribe(
  { audio: "quickstart/audio/welcome.wav", language_hints: ["en"] },
  { emulator: true, outputDir }
)
const first = result.transcript.sentences[0]
console.log(\`promise API: \${result.status} \${first?.text ?? result.text}\`)
const summary: RunSummary = await runPipeline("quickstart/pipeline.yaml", { emulator: true, outputDir, concurrency: 2 })
console.log(\`promise API: pipeline: \${summary.done} done, exit code \${summary.exitCode}\`)
try {
  await runPipeline({ version: 1 }, { emulator: true, outputDir })
} catch (error) {
  if (error instanceof AsrflowError) console.log(\`promise API: rejected: \${error.reason}\`)
}
`

const tsconfig = {
  compilerOptions: {
    strict: true,
    module: "nodenext",
    moduleResolution: "nodenext",
    target: "es2022",
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    types: ["node"],
    rootDir: "."
  },
  include: ["embed.ts", "promise.ts"]
}

const versionWarning = /Executing an Effect versioned/

const checkTypeScript = (dir) => {
  section(`3. TypeScript consumers (strict, nodenext, exactOptionalPropertyTypes, noUncheckedIndexedAccess, skipLibCheck off)`)
  fs.copyFileSync(path.join(root, "examples/embed.ts"), path.join(dir, "embed.ts"))
  fs.writeFileSync(path.join(dir, "promise.ts"), promiseTs)
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2))
  const tsc = path.join(dir, "node_modules/typescript/bin/tsc")
  const noEmit = run(process.execPath, [tsc, "--noEmit", "-p", "tsconfig.json"], { cwd: dir })
  const errors = (noEmit.stdout.match(/error TS\d+/g) ?? []).length
  check(noEmit.code === 0 && errors === 0, `tsc --noEmit of embed.ts (Effect API) and promise.ts (Promise API): ${errors} errors`, noEmit.stdout)
  must(run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: dir }), "tsc (emit)")
  for (const [file, expected] of [["embed.js", /^effect API: qwen3-asr-flash \(en\): \S+/m], ["promise.js", /^promise API: rejected: Config$/m]]) {
    const result = run(process.execPath, [file], { cwd: dir, env: { OUTPUT_DIR: path.join(dir, "out-ts") } })
    // Effect's logger writes to stdout: count both streams
    const warnings = `${result.stdout}\n${result.stderr}`.split("\n").filter((line) => versionWarning.test(line)).length
    const output = result.stdout.split("\n").filter((line) => line !== "" && !versionWarning.test(line))
    check(result.code === 0 && expected.test(result.stdout), `node ${file}: exit ${result.code}\n${output.join("\n").replace(/^/gm, "          ")}`, result.stderr)
    check(warnings === 0, `node ${file}: ${warnings} "Executing an Effect versioned" warnings`)
  }
}

// =============================================================================
// 4. publint and attw
// =============================================================================

const checkLinters = (packages) => {
  section("4. publint and @arethetypeswrong/cli on every tarball")
  for (const pkg of packages) {
    const publint = run(rootBin("publint"), ["run", pkg.file])
    const summary = publint.stdout.includes("All good!") ? "all good" : publint.stdout.split("\n").slice(3).join(" ").trim()
    check(publint.code === 0, `publint ${pkg.name}: ${summary}`, publint.stdout + publint.stderr)
    // a library's modules are subpaths of their own ("./*"), which attw does not expand: name them all
    const modules = pkg.name === "@asrflow/cli" ? [] : pkg.files.map((file) => file.path)
      .filter((file) => /^dist\/[^/]+\.d\.ts$/.test(file) && file !== "dist/index.d.ts")
      .map((file) => `./${file.slice("dist/".length, -".d.ts".length)}`)
    const attw = run(rootBin("attw"), [
      pkg.file,
      "--profile",
      "esm-only",
      "--no-definitely-typed",
      "--format",
      "table-flipped",
      ...(modules.length > 0 ? ["--include-entrypoints", ...modules] : [])
    ])
    check(attw.code === 0, `attw ${pkg.name}: ${modules.length + 1} entry points, no problems`, attw.stdout + attw.stderr)
  }
}

try {
  const packages = build()
  checkLinters(packages)
  checkGlobalCli(packages.find((pkg) => pkg.name === "@asrflow/cli"))
  const consumer = installConsumer(packages)
  checkNpxCli(consumer)
  checkPromiseApi(consumer)
  checkTypeScript(consumer)
} catch (error) {
  fail("verification stopped", String(error?.stack ?? error))
} finally {
  cleanup()
}
console.log(failures.length === 0 ? "\nverify:packages: every check passed" : `\nverify:packages: ${failures.length} check(s) failed`)
process.exitCode = failures.length === 0 ? 0 : 1
