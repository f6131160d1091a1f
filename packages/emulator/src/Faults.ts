/**
 * Fault injection: which request gets which fault. A fault counts the requests to its endpoint (1 = the first it
 * sees) and fires on exact request numbers (`at`, `from`..`to`), on every N-th, with a seeded probability, or
 * always when no selector is given.
 *
 * @since 0.1.0
 */
import type { EmulatorConfig, FaultConfig } from "./EmulatorConfig.js"
import { mulberry32 } from "./internal/random.js"
import type { EndpointName } from "./Report.js"

/**
 * @since 0.1.0
 * @category models
 */
export type FaultKind = FaultConfig["kind"]

/**
 * When a fault is decided: as a request arrives, or as it names an `oss://` object (`oss_missing` only).
 *
 * @since 0.1.0
 * @category models
 */
export type Stage = "request" | "oss"

interface FaultState {
  readonly fault: FaultConfig
  seen: number
  fired: number
  readonly random: () => number
}

const matches = (configured: FaultConfig["endpoint"], endpoint: EndpointName): boolean => {
  if (configured === "*") return true
  if (configured === endpoint) return true
  if (configured === "sync") return endpoint === "compatible" || endpoint === "native"
  if (configured === "task") return endpoint === "task" || endpoint === "cancel" || endpoint === "list"
  return false
}

const stageOf = (fault: FaultConfig): Stage => fault.kind === "oss_missing" ? "oss" : "request"

const selects = (state: FaultState): boolean => {
  const { at, every, from, probability, to } = state.fault
  const n = state.seen
  // the PRNG advances on every request it is asked about, so a seed gives the same pattern whatever else fires
  const byChance = probability !== undefined && state.random() < probability
  if (at === undefined && every === undefined && probability === undefined && from === undefined && to === undefined) {
    return true
  }
  return byChance || (at !== undefined && at.includes(n)) ||
    ((from !== undefined || to !== undefined) && n >= (from ?? 1) && n <= (to ?? Infinity)) ||
    (every !== undefined && n % every === 0)
}

/**
 * @since 0.1.0
 * @category models
 */
export class Faults {
  private states: Array<FaultState> = []

  constructor(config: EmulatorConfig) {
    this.configure(config)
  }

  configure(config: EmulatorConfig): void {
    this.states = config.faults.map((fault, index) => ({
      fault,
      seen: 0,
      fired: 0,
      random: mulberry32((config.seed * 7919 + index * 104729) >>> 0)
    }))
  }

  reset(config: EmulatorConfig): void {
    this.configure(config)
  }

  /** How often each configured fault fired since it was configured or reset. */
  firedCounts(): ReadonlyArray<number> {
    return this.states.map((state) => state.fired)
  }

  /** Decides whether this request gets a fault at this stage; the first matching fault that fires wins. */
  decide(endpoint: EndpointName, stage: Stage = "request"): FaultConfig | undefined {
    let chosen: FaultConfig | undefined
    for (const state of this.states) {
      if (stageOf(state.fault) !== stage || !matches(state.fault.endpoint, endpoint)) continue
      state.seen++
      if (chosen !== undefined) continue
      if (state.fault.limit !== undefined && state.fired >= state.fault.limit) continue
      if (selects(state)) {
        state.fired++
        chosen = state.fault
      }
    }
    return chosen
  }
}
