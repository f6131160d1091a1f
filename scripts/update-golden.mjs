// Rewrites the golden files of every package that has them (`npm run golden:update`), by running each
// `packages/<pkg>/test/updateGoldens.ts` under tsx. Tests never write goldens: after an intended output
// change, run this, then review and commit `git diff packages/*/test/golden`.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const tsx = path.join(root, "node_modules/.bin/tsx")
const updaters = readdirSync(path.join(root, "packages"))
  .map((pkg) => path.join(root, "packages", pkg, "test/updateGoldens.ts"))
  .filter((file) => existsSync(file))
  .sort()

let failed = 0
for (const updater of updaters) {
  console.log(path.relative(root, updater))
  const result = spawnSync(tsx, [updater], { cwd: path.dirname(path.dirname(updater)), stdio: "inherit" })
  if (result.status !== 0) failed += 1
}
if (updaters.length === 0) console.log("no package has a test/updateGoldens.ts")
process.exit(failed === 0 ? 0 : 1)
