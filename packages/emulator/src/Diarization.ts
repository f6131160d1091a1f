/**
 * Speaker labels for diarized batch results (`diarization_enabled`): each voiced stretch of the audio is given to
 * a speaker by its pitch, so two voices that alternate (e.g. two espeak-ng voices) get alternating labels. Pitches
 * are clustered on a log scale: with `speaker_count`, at its largest gaps; without, wherever two neighbouring
 * pitches differ by more than a fifth. Speakers are numbered from 0 in the order they first speak, as the service
 * numbers them (docs/PROTOCOL.md, Fun-ASR and Paraformer on the task API).
 *
 * @since 0.2.0
 */
import type { Segment } from "./AudioContent.js"

/** Two pitches this far apart (a ratio of 1.2) belong to different voices when the count is not given. */
const VOICE_GAP = Math.log(1.2)

/**
 * The speaker of each segment, in order.
 *
 * @since 0.2.0
 * @category utils
 */
export const speakersOf = (segments: ReadonlyArray<Segment>, speakerCount?: number | undefined): Array<number> => {
  if (segments.length === 0) return []
  const pitches = segments.map((segment) => Math.log(Math.max(1, segment.f0 ?? segment.hz)))
  const sorted = [...new Set(pitches)].sort((a, b) => a - b)
  const gaps = sorted.slice(1).map((pitch, index) => ({
    at: (pitch + sorted[index]!) / 2,
    size: pitch - sorted[index]!
  }))
  const cuts = (speakerCount === undefined
    ? gaps.filter((gap) => gap.size > VOICE_GAP)
    : [...gaps].sort((a, b) => b.size - a.size).slice(0, Math.max(0, speakerCount - 1)))
    .map((gap) => gap.at)
    .sort((a, b) => a - b)
  const clusterOf = (pitch: number) => cuts.filter((cut) => pitch > cut).length
  const numbering = new Map<number, number>()
  return pitches.map((pitch) => {
    const cluster = clusterOf(pitch)
    if (!numbering.has(cluster)) numbering.set(cluster, numbering.size)
    return numbering.get(cluster)!
  })
}

/**
 * The speaker of a span of time: the one whose segments overlap it most (0 when none does).
 *
 * @since 0.2.0
 * @category utils
 */
export const speakerAt = (
  segments: ReadonlyArray<Segment>,
  speakers: ReadonlyArray<number>,
  beginMs: number,
  endMs: number
): number => {
  const overlap = new Map<number, number>()
  segments.forEach((segment, index) => {
    const shared = Math.min(endMs, segment.endMs) - Math.max(beginMs, segment.beginMs)
    if (shared > 0) overlap.set(speakers[index]!, (overlap.get(speakers[index]!) ?? 0) + shared)
  })
  let best = 0
  let most = 0
  for (const [speaker, shared] of overlap) {
    if (shared > most) [best, most] = [speaker, shared]
  }
  return best
}
