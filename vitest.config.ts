import * as os from "node:os"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    projects: ["packages/*"],
    // most test files spend their time waiting on child processes, emulators and servers, not on the CPU:
    // vitest's default (cores − 1 files at a time) runs them one by one on a 2-core machine
    maxWorkers: Math.max(3, os.availableParallelism() - 1),
    minWorkers: 1,
    // runs once for the whole run, whichever projects are selected: a private TMPDIR, checked at the end
    globalSetup: ["./vitest.globalSetup.ts"]
  }
})
