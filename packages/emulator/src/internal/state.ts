/**
 * The emulator's mutable state, shared by every route.
 *
 * @since 0.1.0
 */
import { AudioAnalyzer } from "../AudioAnalyzer.js"
import { ContentCache } from "../AudioContent.js"
import { BatchStore } from "../BatchTasks.js"
import * as EmulatorConfig from "../EmulatorConfig.js"
import { Faults } from "../Faults.js"
import { RateLimits } from "../RateLimits.js"
import { Recorder } from "../Recorder.js"
import type { Report } from "../Report.js"
import { TaskStore } from "../Tasks.js"
import { Uploads } from "../Uploads.js"
import { IdSource } from "./random.js"
import { Clock } from "./time.js"

/**
 * @since 0.1.0
 */
export class State {
  config: EmulatorConfig.EmulatorConfig
  raw: EmulatorConfig.Input
  readonly clock: Clock
  ids: IdSource
  readonly recorder: Recorder
  readonly limits: RateLimits
  readonly faults: Faults
  readonly analyzer = new AudioAnalyzer()
  readonly content = new ContentCache()
  readonly tasks: TaskStore
  readonly batches: BatchStore
  readonly uploads: Uploads
  origin = ""
  dropWindow: { readonly start: number; readonly end: number } | undefined
  private failPatterns: Array<{ readonly regex: RegExp; readonly code: string; readonly message: string }> = []

  constructor(raw: EmulatorConfig.Input, config: EmulatorConfig.EmulatorConfig, storageDir: string) {
    this.raw = raw
    this.config = config
    this.clock = new Clock(config.clock)
    this.recorder = new Recorder(this.clock.now())
    this.ids = new IdSource(config.seed)
    this.limits = new RateLimits(config, this.clock.now())
    this.faults = new Faults(config)
    this.tasks = new TaskStore(this)
    this.batches = new BatchStore(this)
    this.uploads = new Uploads(this, storageDir)
    this.applyDerived(config)
  }

  get apiKey(): string {
    return this.config.api_key
  }

  /** Applies a patch of the raw config; throws a readable message when the result does not decode. */
  patch(patch: EmulatorConfig.Input): void {
    const raw = EmulatorConfig.merge(this.raw, patch)
    const decoded = EmulatorConfig.decode(raw)
    if (!decoded.ok) throw new Error(decoded.error)
    this.raw = raw
    this.config = decoded.value
    this.clock.setMode(decoded.value.clock)
    this.limits.configure(decoded.value, this.clock.now(), patch.rate_limits?.schedule !== undefined)
    this.faults.configure(decoded.value)
    this.applyDerived(decoded.value, patch.drop_window !== undefined)
  }

  /** The drop window is relative to when it was set: server start, or the patch that carries it. */
  private applyDerived(config: EmulatorConfig.EmulatorConfig, rebaseDropWindow = true): void {
    const now = this.clock.now()
    const window = config.drop_window
    if (rebaseDropWindow) {
      this.dropWindow = window
        ? { start: now + window.start_ms, end: now + window.start_ms + window.duration_ms }
        : undefined
    }
    this.failPatterns = config.fail_tasks_matching.map((rule) =>
      typeof rule === "string"
        ? { regex: new RegExp(rule), code: "InternalError", message: "An internal error has occured during execution." }
        : {
          regex: new RegExp(rule.pattern),
          code: rule.code ?? "InternalError",
          message: rule.message ?? "An internal error has occured during execution."
        }
    )
  }

  forcedFailure(fileUrl: string): { readonly code: string; readonly message: string } | undefined {
    const name = fileUrl.split("?")[0]!.split("/").pop() ?? fileUrl
    return this.failPatterns.find((p) => p.regex.test(name) || p.regex.test(fileUrl))
  }

  dropping(): boolean {
    if (this.dropWindow === undefined) return false
    const now = this.clock.now()
    return now >= this.dropWindow.start && now < this.dropWindow.end
  }

  reset(): void {
    this.recorder.reset(this.clock.now())
    this.limits.reset()
    this.faults.reset(this.config)
  }

  report(): Report {
    const now = this.clock.now()
    return this.recorder.snapshot({
      tasks: this.tasks.counts(now),
      batchesLoading: this.batches.loading(),
      faultsByRule: this.faults.firedCounts(),
      clockMs: now,
      clockWaiters: this.clock.waiting()
    })
  }

  transcriptFor(keys: ReadonlyArray<string | undefined>): string | undefined {
    for (const key of keys) {
      if (key !== undefined && Object.hasOwn(this.config.transcripts, key)) return this.config.transcripts[key]
    }
    return undefined
  }
}
