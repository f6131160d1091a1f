/**
 * What the progress display knows about a run, from its events: the counts of the total, audio done,
 * the pace of the last minute, an ETA, and the async tasks in flight by state. Pure: the display
 * (`Progress`) feeds it events and the time, and draws what `frame` or `line` returns.
 *
 * @since 0.2.0
 */
import type { RunEvents } from "@asrflow/core"
import * as Terminal from "./Terminal.js"

/**
 * A lane's numbers as the rate controller reports them.
 *
 * @since 0.2.0
 * @category models
 */
export interface LaneView {
  readonly lane: string
  readonly requestsPerMinute: number
  readonly throttled: number
}

/** The pace is measured over the last minute (or since the first finished item, when sooner). */
const windowMs = 60_000

/**
 * @since 0.2.0
 * @category models
 */
export class State {
  total: number | undefined = undefined
  done = 0
  failed = 0
  skipped = 0
  audioSeconds = 0
  /** Skips not yet reported by a plain line (a resumed run prints one line for all of them). */
  unreportedSkips = 0
  /** The finish times of the items of the last minute, oldest first. */
  readonly finishedAt: Array<number> = []
  firstFinishAt: number | undefined = undefined
  /** The async tasks in flight: item → the task's last known status. */
  readonly tasks = new Map<string, string>()

  constructor(readonly startedAt: number) {}

  get processed(): number {
    return this.done + this.failed + this.skipped
  }

  /** Counts an event; `now` is the time it was seen. */
  add(event: RunEvents.RunEvent, now: number): void {
    switch (event.phase) {
      case "submitted":
        this.tasks.set(event.item, "SUBMITTED")
        return
      case "polled": {
        const status = String(event.data?.status ?? "")
        if (status === "PENDING" || status === "RUNNING") this.tasks.set(event.item, status)
        return
      }
      case "skipped":
        this.skipped += 1
        this.unreportedSkips += 1
        return
      case "written":
      case "failed": {
        if (event.phase === "written") {
          this.done += 1
          const seconds = event.data?.audio_seconds
          if (typeof seconds === "number") this.audioSeconds += seconds
        } else {
          this.failed += 1
        }
        this.tasks.delete(event.item)
        this.firstFinishAt ??= now
        this.finishedAt.push(now)
        while (this.finishedAt.length > 0 && this.finishedAt[0]! < now - windowMs) this.finishedAt.shift()
        return
      }
      default:
        return
    }
  }

  /** Items finished per minute over the last minute, once there is something to measure. */
  itemsPerMinute(now: number): number | undefined {
    if (this.firstFinishAt === undefined) return undefined
    const recent = this.finishedAt.filter((at) => at >= now - windowMs).length
    const span = Math.min(windowMs, Math.max(now - this.startedAt, 1000))
    return (recent * 60_000) / span
  }

  /** Milliseconds until the rest is done at the current pace; undefined while unknown. */
  etaMs(now: number): number | undefined {
    const rate = this.itemsPerMinute(now)
    if (this.total === undefined || rate === undefined || rate <= 0) return undefined
    return (Math.max(0, this.total - this.processed) / rate) * 60_000
  }
}

/**
 * `1h 02m`, `3m 05s`, `12s`.
 *
 * @since 0.2.0
 * @category utils
 */
export const duration = (ms: number): string => {
  const seconds = Math.round(ms / 1000)
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, "0")}s`
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`
}

const hours = (seconds: number) =>
  seconds >= 360 ? `${(seconds / 3600).toFixed(2)} h` : `${(seconds / 60).toFixed(1)} min`

const of = (state: State) => `${state.processed}/${state.total ?? "?"}`

/**
 * Styles for the live region; every function is the identity without colour (`NO_COLOR`).
 *
 * @since 0.2.0
 * @category models
 */
export interface Style {
  readonly bold: (text: string) => string
  readonly dim: (text: string) => string
  readonly red: (text: string) => string
  readonly green: (text: string) => string
  readonly yellow: (text: string) => string
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`

/**
 * The styles for a terminal: ANSI colours, or none.
 *
 * @since 0.2.0
 * @category constructors
 */
export const style = (color: boolean): Style =>
  color
    ? { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39) }
    : { bold: (t) => t, dim: (t) => t, red: (t) => t, green: (t) => t, yellow: (t) => t }

/**
 * The live region: the counts of the total with audio done, pace and ETA; each lane's rate and 429s;
 * the async tasks in flight by state. Lines are cut to `width`.
 *
 * @since 0.2.0
 * @category utils
 */
export const frame = (
  state: State,
  now: number,
  lanes: ReadonlyArray<LaneView>,
  width: number,
  s: Style
): ReadonlyArray<string> => {
  const rate = state.itemsPerMinute(now)
  const eta = state.etaMs(now)
  const counts = [
    s.green(`${state.done} done`),
    state.failed > 0 ? s.red(`${state.failed} failed`) : `0 failed`,
    `${state.skipped} skipped`
  ].join(", ")
  const head = [
    `${s.bold(of(state))} ${counts}`,
    `${hours(state.audioSeconds)} audio`,
    rate === undefined ? "… items/min" : `${rate.toFixed(1)} items/min`,
    `ETA ${eta === undefined ? "…" : duration(eta)}`,
    s.dim(`${duration(now - state.startedAt)} elapsed`)
  ].join(" · ")
  const lines = [head]
  for (const lane of lanes) {
    const throttled = lane.throttled > 0 ? s.yellow(`${lane.throttled} × 429`) : "0 × 429"
    lines.push(
      `  ${s.dim("lane")} ${Terminal.safe(lane.lane)}: ${Math.round(lane.requestsPerMinute)} req/min · ${throttled}`
    )
  }
  if (state.tasks.size > 0) {
    const byStatus = new Map<string, number>()
    for (const status of state.tasks.values()) byStatus.set(status, (byStatus.get(status) ?? 0) + 1)
    const parts = [...byStatus].sort(([a], [b]) => a.localeCompare(b)).map(([status, n]) => `${n} ${status}`)
    lines.push(`  ${s.dim("tasks in flight")} ${parts.join(" · ")}`)
  }
  return lines.map((line) => cut(line, width))
}

// eslint-disable-next-line no-control-regex
const styles = /\u001b\[\d+m/g

/** Cuts a line to `width` visible columns, keeping its style sequences whole. */
const cut = (line: string, width: number): string => {
  if (line.replace(styles, "").length <= width) return line
  let visible = 0
  let out = ""
  for (let i = 0; i < line.length && visible < width - 1; i++) {
    if (line[i] === "\u001b") {
      const end = line.indexOf("m", i)
      out += line.slice(i, end + 1)
      i = end
      continue
    }
    out += line[i]
    visible += 1
  }
  return out === line.replace(styles, "").slice(0, visible) ? `${out}…` : `${out}…\u001b[0m`
}

/**
 * The plain line for an event (no terminal, or a log file), or undefined when the event shows nothing.
 * `outputs` are the item's files as a person reads them (relative to the current directory when inside).
 *
 * @since 0.2.0
 * @category utils
 */
export const line = (
  event: RunEvents.RunEvent,
  state: State,
  outputs: ReadonlyArray<string>
): string | undefined => {
  switch (event.phase) {
    case "submitted":
      return `asrflow: submitted ${event.item} as task ${String(event.data?.task_id ?? "?")}`
    case "written": {
      const more = outputs.length > 1 ? ` (+${outputs.length - 1} more)` : ""
      return `asrflow: [${of(state)}] wrote ${outputs[0] ?? event.item}${more}`
    }
    case "failed":
      return `asrflow: [${of(state)}] failed ${event.item}: ${String(event.data?.message ?? "")}`
    default:
      return undefined
  }
}

/**
 * The one line for the skipped items seen since the last report, or undefined when there are none.
 *
 * @since 0.2.0
 * @category utils
 */
export const skippedLine = (state: State): string | undefined => {
  if (state.unreportedSkips === 0) return undefined
  const line = `asrflow: [${of(state)}] skipped ${state.unreportedSkips} item(s) the ledger has done`
  state.unreportedSkips = 0
  return line
}
