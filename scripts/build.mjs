// Bundles each binary into one ES module so that `npx asrflow` starts fast and needs no TypeScript loader.
import * as esbuild from "esbuild"
import { existsSync } from "node:fs"

const entries = [
  { pkg: "cli", entry: "packages/cli/src/bin.ts" },
  { pkg: "emulator", entry: "packages/emulator/src/bin.ts" }
].filter(({ entry }) => existsSync(entry))

await Promise.all(entries.map(({ entry, pkg }) =>
  esbuild.build({
    entryPoints: [entry],
    outdir: `packages/${pkg}/dist`,
    entryNames: "[name]",
    outExtension: { ".js": ".mjs" },
    // command handlers are dynamic imports: they become chunks loaded only when a command runs
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // better-sqlite3 is a native addon and must stay a runtime import.
    external: ["better-sqlite3"],
    banner: { js: "import { createRequire as __asrflowCreateRequire } from 'node:module'; const require = __asrflowCreateRequire(import.meta.url);" },
    logLevel: "warning",
    legalComments: "none",
    minify: true,
    keepNames: true
  })
))
