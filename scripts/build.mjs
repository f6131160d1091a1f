// Builds what the packages publish and what the clone runs.
//
// - core, providers, sinks, emulator: dist/<Module>.js (ESM, one file per module, with source maps) and
//   dist/<Module>.d.ts with declaration maps (tsc -b tsconfig.build.json).
// - cli: one self-contained bundle in dist/cli (the `asrflow` and `asrflow-emulator` binaries and the
//   Promise API, split into chunks that load on first use), the V8 code cache of its chunks (see
//   bin/loader.cjs), and the Promise API as dist/api.js + dist/api.d.ts.
//
// `node scripts/build.mjs --fast` (npm ci's `prepare`, `pretest`) skips the declarations: nothing in the
// clone reads them, and type-checking is `npm run check`'s job. `--readable` (with `--fast`) leaves the CLI
// bundle unminified, so that a `node --cpu-prof` profile names its functions (bench/README.md, scale).
import * as esbuild from "esbuild"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const fast = process.argv.includes("--fast")
const readable = process.argv.includes("--readable")
const libraries = ["core", "providers", "sinks", "emulator"]
const cli = path.join(root, "packages/cli")

// Binaries are bundle entries, not library modules.
const isLibraryModule = (file) => file.endsWith(".ts") && file !== "bin.ts"

const clean = (pkg) => {
  fs.rmSync(path.join(root, "packages", pkg, "dist"), { recursive: true, force: true })
  fs.rmSync(path.join(root, "packages", pkg, "build/tsconfig.build.tsbuildinfo"), { force: true })
}

const buildLibrary = (pkg) => {
  const src = path.join(root, "packages", pkg, "src")
  const entryPoints = fs.readdirSync(src, { recursive: true }).filter(isLibraryModule).map((file) =>
    path.join(src, file)
  )
  return esbuild.build({
    entryPoints,
    outbase: src,
    outdir: path.join(root, "packages", pkg, "dist"),
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: true,
    sourcesContent: false,
    logLevel: "warning"
  })
}

// Effect keeps its process-wide values (default services, FiberRefs, caches) in one store on globalThis,
// shared by every copy of effect in the process, whatever its version. The bundle's copy gets a store of
// its own, so a program that also runs its own effect (the Promise API next to the Effect API) never
// executes an Effect of one version on the runtime of another.
const privateEffectGlobals = {
  name: "private-effect-globals",
  setup(build) {
    build.onLoad({ filter: /[\\/]effect[\\/]dist[\\/]esm[\\/]GlobalValue\.js$/ }, (args) => {
      const shared = "const globalStoreId = `effect/GlobalValue`;"
      const code = fs.readFileSync(args.path, "utf8")
      if (!code.includes(shared)) throw new Error(`${args.path} no longer declares \`${shared}\`: update scripts/build.mjs`)
      return { contents: code.replace(shared, "const globalStoreId = `effect/GlobalValue/@asrflow/cli`;"), loader: "js" }
    })
  }
}

// esbuild splits only ES modules; the chunks are then turned into CommonJS so that bin/loader.cjs can
// compile them with vm.Script and a code cache (Node 20 cannot cache the compilation of ES modules).
const buildCli = async () => {
  const outdir = path.join(cli, "dist/cli")
  const result = await esbuild.build({
    entryPoints: {
      "asrflow": path.join(cli, "src/bin.ts"),
      "asrflow-emulator": path.join(root, "packages/emulator/src/bin.ts"),
      "api": path.join(cli, "src/api.ts")
    },
    outdir,
    outExtension: { ".js": ".cjs" },
    // command handlers are dynamic imports: they become chunks loaded only when a command runs
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // better-sqlite3 is a native addon and @ffmpeg-installer/ffmpeg finds its platform's binary package at
    // run time: both are dependencies of the package (the second optional), loaded at run time; pg-native is
    // an optional binding that pg only tries when asked (asrflow never asks)
    external: ["better-sqlite3", "@ffmpeg-installer/ffmpeg", "pg-native"],
    metafile: true,
    plugins: [privateEffectGlobals],
    logLevel: "warning",
    legalComments: "none",
    // identifiers keep their names (stack traces name functions) without esbuild's keepNames, whose runtime
    // `__name` call on every closure Effect makes costs about a twentieth of a batch's CPU (bench/README.md)
    minifyWhitespace: !readable,
    minifySyntax: !readable,
    minifyIdentifiers: false,
    ...(readable ? { sourcemap: "external" } : {})
  })
  for (const file of Object.keys(result.metafile.outputs).filter((file) => !file.endsWith(".map"))) {
    const code = fs.readFileSync(file, "utf8").replace(/^#!.*\n/, "")
    const converted = await esbuild.transform(code, {
      format: "cjs",
      target: "node20",
      // import() of a chunk becomes require(), which the loader serves from its code cache
      supported: { "dynamic-import": false },
      minifyWhitespace: !readable,
      ...(readable ? { sourcemap: "external" } : {}),
      logLevel: "warning"
    })
    fs.writeFileSync(file, converted.code)
    // the CommonJS text's map to the bundle's ES module text, whose own map (.map) leads to the sources
    if (readable) fs.writeFileSync(`${file}.cjs-map`, converted.map)
  }
  const api = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint?.endsWith("src/api.ts"))
  const names = api[1].exports
  fs.writeFileSync(
    path.join(cli, "dist/api.js"),
    [
      "// The Promise API: the `api` entry of the bundle in ./cli, as an ES module.",
      "import { createRequire } from \"node:module\"",
      "const api = createRequire(import.meta.url)(\"./cli/api.cjs\")",
      ...names.map((name) => `export const ${name} = api.${name}`),
      ""
    ].join("\n")
  )
}

// Runs the binary as users do once per path worth caching, saving each loaded chunk's code cache.
const writeCodeCache = () => {
  const loader = path.join(cli, "bin/loader.cjs")
  for (const args of [["--help"], ["schema"]]) {
    execFileSync(
      process.execPath,
      [
        "-e",
        `process.argv.splice(1, 0, "asrflow"); require(${JSON.stringify(loader)}).run("asrflow.cjs", { writeCache: true })`,
        "--",
        ...args
      ],
      { stdio: "ignore" }
    )
  }
}

// The Promise API's declarations must stand alone (the package has no dependency on effect or on the
// other @asrflow packages): copy api.d.ts and the local files it imports, and refuse any other import.
const copyApiDeclarations = () => {
  const from = path.join(cli, "build/api")
  const to = path.join(cli, "dist")
  const pending = ["api.d.ts"]
  const copied = new Set()
  while (pending.length > 0) {
    const file = pending.pop()
    if (copied.has(file)) continue
    copied.add(file)
    const text = fs.readFileSync(path.join(from, file), "utf8")
    for (const [, specifier] of text.matchAll(/from "([^"]+)"/g)) {
      if (!specifier.startsWith("./")) {
        throw new Error(`${file} imports ${specifier}: the Promise API's public types must not depend on packages`)
      }
      pending.push(specifier.replace(/\.js$/, ".d.ts"))
    }
    fs.writeFileSync(path.join(to, file), text)
    const map = JSON.parse(fs.readFileSync(path.join(from, `${file}.map`), "utf8"))
    map.sources = map.sources.map((source) => path.relative(to, path.resolve(from, source)))
    fs.writeFileSync(path.join(to, `${file}.map`), JSON.stringify(map))
  }
}

for (const pkg of [...libraries, "cli"]) clean(pkg)
await Promise.all([...libraries.map(buildLibrary), buildCli()])
writeCodeCache()
if (!fast) {
  execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-b", "tsconfig.build.json"], {
    cwd: root,
    stdio: "inherit"
  })
  copyApiDeclarations()
}
