/**
 * Where to cut a long recording into chunks a sync model accepts: pure functions over the recording's
 * pauses and its loudness, so any provider's split route can use them.
 *
 * Each chunk is at most `maxChunkMs` long and, except a recording's last, at least `minChunkMs`. The
 * chunks aim at equal lengths: for each cut the target is the rest of the recording divided by the
 * number of chunks it still needs, and the cut falls in the longest pause near that target (20 % of the
 * longest chunk either side), else in the longest pause anywhere the limits allow. With no pause long
 * enough, the cut falls in the middle of the quietest 100 ms window near the target, and the two chunks
 * share `overlapMs` around it, so that a word cut there is whole in one of them (the stitcher removes the
 * words heard twice).
 *
 * @since 0.2.0
 */

/**
 * A stretch of silence, in ms from the start of the recording.
 *
 * @since 0.2.0
 * @category models
 */
export interface Pause {
  readonly beginMs: number
  readonly endMs: number
}

/**
 * The loudness of the recording: the mean square of each `frameMs` frame (any linear scale).
 *
 * @since 0.2.0
 * @category models
 */
export interface Loudness {
  readonly frameMs: number
  readonly frames: ArrayLike<number>
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  readonly maxChunkMs: number
  readonly minChunkMs: number
  readonly overlapMs: number
}

/**
 * How a chunk's end was chosen: in a pause, in the quietest window (the next chunk overlaps it), or the
 * end of the recording.
 *
 * @since 0.2.0
 * @category models
 */
export type Cut = "pause" | "quiet" | "end"

/**
 * One chunk: `[startMs, endMs)` of the recording.
 *
 * @since 0.2.0
 * @category models
 */
export interface Chunk {
  readonly index: number
  readonly startMs: number
  readonly endMs: number
  readonly cut: Cut
}

/** How far from the target a cut may fall and still count as near it, as a share of the longest chunk. */
const NEAR_SHARE = 0.2
/** The window whose loudness decides a cut where there is no pause. */
const QUIET_WINDOW_MS = 100

/**
 * The middle of the quietest `QUIET_WINDOW_MS` window whose middle lies in `[fromMs, toMs]`, or
 * `undefined` when the loudness does not cover that range.
 *
 * @since 0.2.0
 * @category utils
 */
export const quietestWindow = (loudness: Loudness, fromMs: number, toMs: number): number | undefined => {
  const { frameMs, frames } = loudness
  const width = Math.max(1, Math.round(QUIET_WINDOW_MS / frameMs))
  const first = Math.max(0, Math.ceil(fromMs / frameMs - width / 2))
  const last = Math.min(frames.length - width, Math.floor(toMs / frameMs - width / 2))
  if (last < first) return undefined
  let sum = 0
  for (let i = first; i < first + width; i++) sum += frames[i]!
  let best = sum
  let bestAt = first
  for (let i = first + 1; i <= last; i++) {
    sum += frames[i + width - 1]! - frames[i - 1]!
    // ties go to the later window, so chunks stay as long as allowed
    if (sum <= best) {
      best = sum
      bestAt = i
    }
  }
  return (bestAt + width / 2) * frameMs
}

/** A cut inside `pause`, as close to its middle as `[lo, hi]` allows, or undefined when none is. */
const cutIn = (pause: Pause, lo: number, hi: number): number | undefined => {
  const cut = Math.min(hi, Math.max(lo, (pause.beginMs + pause.endMs) / 2))
  return cut > pause.beginMs && cut < pause.endMs ? Math.round(cut) : undefined
}

/** The cut in the longest pause with a cut in `[lo, hi]`. */
const longestPauseCut = (pauses: ReadonlyArray<Pause>, lo: number, hi: number): number | undefined => {
  let found: { readonly cut: number; readonly length: number } | undefined
  for (const pause of pauses) {
    if (pause.endMs <= lo || pause.beginMs >= hi) continue
    const cut = cutIn(pause, lo, hi)
    const length = pause.endMs - pause.beginMs
    if (cut !== undefined && (found === undefined || length > found.length)) found = { cut, length }
  }
  return found?.cut
}

/**
 * Plans the chunks of a recording of `durationMs`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const plan = (
  recording: { readonly durationMs: number; readonly pauses: ReadonlyArray<Pause>; readonly loudness: Loudness },
  options: Options
): ReadonlyArray<Chunk> => {
  const { durationMs, loudness, pauses } = recording
  const maxChunk = Math.max(1000, options.maxChunkMs)
  const overlap = Math.min(Math.max(0, options.overlapMs), maxChunk / 4)
  const minChunk = Math.min(Math.max(0, options.minChunkMs), maxChunk / 2)
  const sorted = [...pauses].sort((a, b) => a.beginMs - b.beginMs)
  const chunks: Array<Chunk> = []
  let start = 0
  while (durationMs - start > maxChunk) {
    const remaining = durationMs - start
    const target = start + remaining / Math.ceil(remaining / maxChunk)
    const lo = start + minChunk
    const hi = Math.min(start + maxChunk, durationMs - minChunk)
    const slack = NEAR_SHARE * maxChunk
    const near = [Math.max(lo, target - slack), Math.min(hi, target + slack)] as const
    const byPause = longestPauseCut(sorted, near[0], near[1]) ?? longestPauseCut(sorted, lo, hi)
    if (byPause !== undefined) {
      chunks.push({ index: chunks.length, startMs: start, endMs: byPause, cut: "pause" })
      start = byPause
      continue
    }
    // no pause: the two chunks share `overlap` around the quietest window, and this one still fits
    const quietHi = Math.min(near[1], start + maxChunk - overlap / 2)
    const quiet = quietestWindow(loudness, Math.min(near[0], quietHi), quietHi) ?? quietHi
    const cut = Math.round(quiet)
    chunks.push({ index: chunks.length, startMs: start, endMs: Math.min(durationMs, cut + overlap / 2), cut: "quiet" })
    start = Math.max(start + 1, cut - overlap / 2)
  }
  chunks.push({ index: chunks.length, startMs: start, endMs: durationMs, cut: "end" })
  return chunks
}
