/**
 * The flags and help of runs shared through a PostgreSQL ledger: `run --ledger/--run/--lease-seconds`,
 * `asrflow status` and `asrflow report` (docs/ARCHITECTURE.md, Many machines). Data only, like
 * `CommandFlags`.
 *
 * @since 0.2.0
 */
import { Options } from "@effect/cli"
import { flag, groupsOf } from "./FlagDecl.js"
import type * as Help from "./Help.js"

const ledger = flag(
  "Shared run",
  Options.redacted("ledger").pipe(Options.withDescription("A PostgreSQL ledger"), Options.optional),
  {
    flag: "    --ledger URL",
    text: "a shared PostgreSQL ledger (postgres://…)",
    default: "ASRFLOW_LEDGER_URL"
  }
)
const runName = flag(
  "Shared run",
  Options.text("run").pipe(Options.withDescription("The shared run to join"), Options.optional),
  { flag: "    --run NAME", text: "join the run of this name: workers on any host share its items" }
)
const leaseSeconds = flag(
  "Shared run",
  Options.integer("lease-seconds").pipe(Options.withDescription("A claim's lease"), Options.optional),
  { flag: "    --lease-seconds N", text: "how long a worker's claim lasts without a heartbeat", default: "30" }
)

/**
 * The flags `run` takes to join a shared run.
 *
 * @since 0.2.0
 * @category flags
 */
export const sharedRunFlags = { ledger, runName, leaseSeconds }

/**
 * @since 0.2.0
 * @category flags
 */
export const statusFlags = {
  ledger,
  runName: flag(
    "Shared run",
    Options.text("run").pipe(Options.withDescription("The shared run to show"), Options.optional),
    { flag: "    --run NAME", text: "only this run", default: "every run in the ledger" }
  ),
  json: flag("Output", Options.boolean("json"), { flag: "    --json", text: "the status as JSON, for scripts" })
}

/**
 * @since 0.2.0
 * @category docs
 */
export const statusDoc: Help.CommandDoc = {
  name: "status",
  summary: "show the runs of a shared ledger: items by state, workers, leases, lanes",
  usage: ["asrflow status [flags]"],
  groups: groupsOf(statusFlags),
  examples: [
    ["asrflow status --ledger \"$ASRFLOW_LEDGER_URL\"", "every run in the ledger"],
    ["asrflow status --run calls-2026 --json", "one run, for a script (the URL from ASRFLOW_LEDGER_URL)"]
  ]
}

/**
 * @since 0.2.0
 * @category flags
 */
export const reportFlags = {
  ledger,
  runName: flag("Shared run", Options.text("run").pipe(Options.withDescription("The shared run to report")), {
    flag: "    --run NAME",
    text: "the shared run to report (required)"
  }),
  outputDir: flag(
    "Output",
    Options.text("output-dir").pipe(Options.withDescription("Write the report here"), Options.optional),
    { flag: "    --output-dir DIR", text: "write <run>.jsonl and <run>.summary.json here", default: "." }
  )
}

/**
 * @since 0.2.0
 * @category docs
 */
export const reportDoc: Help.CommandDoc = {
  name: "report",
  summary: "write a shared run's JSONL and summary from the ledger, whoever did the work",
  usage: ["asrflow report --run NAME [flags]"],
  notes: ["Exits 1 when an item failed or is unfinished."],
  groups: groupsOf(reportFlags),
  examples: [
    ["asrflow report --run calls-2026", "calls-2026.jsonl and calls-2026.summary.json here"],
    ["asrflow report --run calls-2026 --output-dir reports/", "somewhere else"]
  ]
}
