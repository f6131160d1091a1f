/**
 * The fundamental frequency (F0) of voiced audio, frame by frame, by normalised autocorrelation over the last two
 * frames: the voice feature speaker labels are drawn from (a low and a high voice differ by an octave, where zero
 * crossings mostly follow the vowels).
 *
 * @since 0.2.0
 */

const MIN_HZ = 60
const MAX_HZ = 400
/** A frame whose best correlation is below this is not periodic enough to have a pitch. */
const PERIODIC = 0.5

/**
 * Tracks the pitch of the frames a `Segmenter` cuts.
 *
 * @since 0.2.0
 * @category constructors
 */
export class PitchTracker {
  private readonly window: Float64Array
  private at = 0
  private seen = 0
  private readonly minLag: number
  private readonly maxLag: number

  constructor(private readonly sampleRate: number, private readonly frameSize: number) {
    this.window = new Float64Array(frameSize * 2)
    this.minLag = Math.max(1, Math.floor(sampleRate / MAX_HZ))
    this.maxLag = Math.min(frameSize, Math.ceil(sampleRate / MIN_HZ))
  }

  sample(value: number): void {
    this.window[this.at] = value
    this.at = (this.at + 1) % this.window.length
    this.seen++
  }

  /** The pitch of the frame that just ended (Hz), or undefined when it is not periodic. */
  frame(): number | undefined {
    const n = this.frameSize
    if (this.seen < 2 * n) return undefined
    const x = (i: number) => this.window[(this.at + i) % this.window.length]!
    const scores: Array<number> = []
    let best = 0
    for (let lag = this.minLag; lag <= this.maxLag; lag++) {
      let cross = 0
      let a = 0
      let b = 0
      for (let i = n; i < 2 * n; i++) {
        const u = x(i)
        const v = x(i - lag)
        cross += u * v
        a += u * u
        b += v * v
      }
      const score = a > 0 && b > 0 ? cross / Math.sqrt(a * b) : 0
      scores.push(score)
      if (score > best) best = score
    }
    if (best < PERIODIC) return undefined
    // the shortest lag close to the best one: a period, not a multiple of it
    const lag = this.minLag + scores.findIndex((score) => score >= 0.9 * best)
    return this.sampleRate / lag
  }
}

/**
 * The median of a list of pitches, or undefined for none.
 *
 * @since 0.2.0
 * @category utils
 */
export const median = (values: ReadonlyArray<number>): number | undefined => {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}
