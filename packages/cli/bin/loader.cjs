"use strict"
// Runs an entry of the CLI bundle (dist/cli, made by scripts/build.mjs) with V8's code cache, so that
// `asrflow --help` does not spend its time compiling a megabyte of JavaScript (bench/cold-start.mjs).
// Node 20 has no compile cache for modules: each chunk is compiled with vm.Script and the cachedData
// that the build saved next to it (`<chunk>.cache`). V8 rejects a cache made by another V8 version,
// and the chunk then simply compiles as usual. Node >= 22.1 has module.enableCompileCache() instead.
const fs = require("node:fs")
const Module = require("node:module")
const path = require("node:path")
const vm = require("node:vm")

const dist = path.join(__dirname, "..", "dist", "cli")

const readCache = (file, cacheFile) => {
  try {
    // a chunk edited after the build must not run with the bytecode of its old text
    return fs.statSync(cacheFile).mtimeMs >= fs.statSync(file).mtimeMs ? fs.readFileSync(cacheFile) : undefined
  } catch {
    return undefined
  }
}

const runWithCodeCache = (entry, writeCache) => {
  const modules = new Map()
  const fresh = []
  const load = (file) => {
    const known = modules.get(file)
    if (known !== undefined) return known.exports
    const cacheFile = `${file}.cache`
    const cachedData = readCache(file, cacheFile)
    const source = fs.readFileSync(file, "utf8")
    const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
      filename: file,
      cachedData
    })
    if (writeCache && (cachedData === undefined || script.cachedDataRejected)) fresh.push({ cacheFile, script })
    const module = { exports: {}, id: file, filename: file, loaded: false }
    modules.set(file, module)
    const nodeRequire = Module.createRequire(file)
    const localRequire = (id) => id.startsWith(".") ? load(path.resolve(path.dirname(file), id)) : nodeRequire(id)
    localRequire.resolve = nodeRequire.resolve
    script.runInThisContext().call(module.exports, module.exports, localRequire, module, file, path.dirname(file))
    module.loaded = true
    return module.exports
  }
  if (writeCache) {
    // after the run, so that the cache also holds the functions the run compiled lazily
    process.once("exit", () => {
      for (const { cacheFile, script } of fresh) fs.writeFileSync(cacheFile, script.createCachedData())
    })
  }
  return load(entry)
}

/**
 * Runs `dist/cli/<entry>`. `writeCache` (used by scripts/build.mjs) saves the code cache of every chunk
 * the run loaded that has none yet.
 */
exports.run = (entry, options = {}) => {
  // asrflow is a batch tool: a major collection once the old heap grows 50 % (not V8's default of up to
  // 2x) keeps a run near its live size: the split route over a 2-hour recording peaks at about 165 MB
  // instead of about 190-210 MB (bench/long-audio.mjs). 10 % kept it at about 155-160 MB but collected so
  // often that a batch of short files spent about twice the time in major collections (bench/scale.mjs).
  // Set before any chunk compiles: the build's code cache is made under the same flags and stays valid.
  if (entry === "asrflow.cjs") require("node:v8").setFlagsFromString("--heap-growing-percent=50")
  const file = path.join(dist, entry)
  if (!fs.existsSync(file)) {
    process.stderr.write(`asrflow: ${file} is missing: run \`npm run build\` in the asrflow checkout\n`)
    process.exit(1)
  }
  if (typeof Module.enableCompileCache === "function" && options.writeCache !== true) {
    Module.enableCompileCache()
    return require(file)
  }
  return runWithCodeCache(file, options.writeCache === true)
}
