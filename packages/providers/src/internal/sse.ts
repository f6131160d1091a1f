/**
 * Server-sent events, in both DashScope framings: compatible mode (`data: {...}` … `data: [DONE]`) and
 * native mode (`id:` / `event:` / `:HTTP_STATUS/200` / `data:`, no sentinel, `event:error` terminal).
 *
 * @since 0.1.0
 */
import { Option, Stream } from "effect"

export interface SseEvent {
  readonly id: string | undefined
  readonly event: string | undefined
  readonly data: string
  /** Comment lines (after the leading colon), e.g. `HTTP_STATUS/200`. */
  readonly comments: ReadonlyArray<string>
}

interface Pending {
  id: string | undefined
  event: string | undefined
  data: Array<string>
  comments: Array<string>
  touched: boolean
}

const empty = (): Pending => ({ id: undefined, event: undefined, data: [], comments: [], touched: false })

const field = (line: string): [string, string] => {
  const colon = line.indexOf(":")
  if (colon === -1) return [line, ""]
  const value = line.slice(colon + 1)
  return [line.slice(0, colon), value.startsWith(" ") ? value.slice(1) : value]
}

/** Feeds one line into the pending event; returns the finished event at a blank line. */
const step = (pending: Pending, line: string): [Pending, Option.Option<SseEvent>] => {
  if (line === "") {
    if (!pending.touched) return [pending, Option.none()]
    const event: SseEvent = {
      id: pending.id,
      event: pending.event,
      data: pending.data.join("\n"),
      comments: pending.comments
    }
    return [empty(), Option.some(event)]
  }
  if (line.startsWith(":")) {
    pending.comments.push(line.slice(1).trim())
    pending.touched = true
    return [pending, Option.none()]
  }
  const [name, value] = field(line)
  if (name === "data") pending.data.push(value)
  else if (name === "event") pending.event = value
  else if (name === "id") pending.id = value
  pending.touched = true
  return [pending, Option.none()]
}

/** Parses a byte stream into events; a final event without a trailing blank line is still emitted. */
export const events = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<SseEvent, E, R> =>
  bytes.pipe(
    Stream.decodeText(),
    Stream.splitLines,
    Stream.concat(Stream.make("")),
    Stream.mapAccum(empty(), step),
    Stream.filterMap((event) => event)
  )

/** The HTTP status a native stream event declares in its `:HTTP_STATUS/<n>` comment. */
export const declaredStatus = (event: SseEvent): number | undefined => {
  for (const comment of event.comments) {
    const match = /^HTTP_STATUS\/(\d{3})$/.exec(comment)
    if (match) return Number(match[1])
  }
  return undefined
}
