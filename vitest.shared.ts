import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

// Tests run against each package's TypeScript sources; the `exports` of package.json point at dist/,
// which only the build (scripts/build.mjs) produces.
const packages = fileURLToPath(new URL("./packages", import.meta.url))

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@asrflow\/([a-z]+)$/, replacement: `${packages}/$1/src/index.ts` },
      { find: /^@asrflow\/([a-z]+)\/(.+)$/, replacement: `${packages}/$1/src/$2.ts` }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    // timeouts only stop a hung test: a loaded machine may make any test several times slower
    testTimeout: 120_000,
    hookTimeout: 240_000,
    sequence: { concurrent: false }
  }
})
