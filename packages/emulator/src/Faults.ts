/**
 * Fault injection: every N-th request or with a seeded probability, per configured fault.
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
 * @since 0.1.0
 * @category models
 */
export interface Injected {
  readonly kind: FaultKind
  readonly slowMs: number
}

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

  /** Decides whether this request gets a fault; the first matching fault that fires wins. */
  decide(endpoint: EndpointName): Injected | undefined {
    let chosen: Injected | undefined
    for (const state of this.states) {
      if (!matches(state.fault.endpoint, endpoint)) continue
      state.seen++
      if (chosen !== undefined) continue
      if (state.fault.limit !== undefined && state.fired >= state.fault.limit) continue
      const always = state.fault.every === undefined && state.fault.probability === undefined
      const byEvery = state.fault.every !== undefined && state.seen % state.fault.every === 0
      const byChance = state.fault.probability !== undefined && state.random() < state.fault.probability
      if (always || byEvery || byChance) {
        state.fired++
        chosen = { kind: state.fault.kind, slowMs: state.fault.slow_ms }
      }
    }
    return chosen
  }
}
