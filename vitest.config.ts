import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    projects: ["packages/*"],
    // runs once for the whole run, whichever projects are selected: a private TMPDIR, checked at the end
    globalSetup: ["./vitest.globalSetup.ts"]
  }
})
