/**
 * The expected completion time of a long recording by each route, so that `long_audio: auto` can take the
 * faster one: split (chunks started at the lane's rate, then one sync call's latency for the last chunk)
 * against async (the provider's queue, then its processing). Pure functions over measurements a provider
 * keeps in the ledger (`Ledger.observe`); documented guesses stand in until there are any.
 *
 * @since 0.2.0
 */

/**
 * One sync call: how long its answer took for how much audio.
 *
 * @since 0.2.0
 * @category models
 */
export interface SyncSample {
  readonly latencyMs: number
  readonly audioMs: number
}

/**
 * One async job: its wait in the queue and its processing, for how much audio.
 *
 * @since 0.2.0
 * @category models
 */
export interface AsyncSample {
  readonly queueMs: number
  readonly runMs: number
  readonly audioMs: number
}

/**
 * The guesses used before anything is measured: a sync call takes 3 s plus 0.1 s per second of audio;
 * an async job waits 5 minutes in the queue and is processed at 0.05 s per second of audio.
 *
 * @since 0.2.0
 * @category utils
 */
export const guesses = {
  syncBaseMs: 3000,
  syncMsPerAudioSecond: 100,
  asyncQueueMs: 300_000,
  asyncRunMsPerAudioSecond: 50
} as const

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * The expected latency of a sync call for `audioMs` of audio: a least-squares line through the samples
 * when their lengths vary enough to fit one, else the guessed base plus the samples' median rate.
 *
 * @since 0.2.0
 * @category utils
 */
export const syncLatencyMs = (samples: ReadonlyArray<SyncSample>, audioMs: number): number => {
  if (samples.length === 0) return guesses.syncBaseMs + (guesses.syncMsPerAudioSecond * audioMs) / 1000
  const xs = samples.map((sample) => sample.audioMs / 1000)
  const ys = samples.map((sample) => sample.latencyMs)
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length
  const meanY = ys.reduce((a, b) => a + b, 0) / ys.length
  const spread = xs.reduce((sum, x) => sum + (x - meanX) ** 2, 0)
  if (samples.length >= 3 && Math.max(...xs) - Math.min(...xs) >= 10) {
    const slope = Math.max(0, xs.reduce((sum, x, i) => sum + (x - meanX) * (ys[i]! - meanY), 0) / spread)
    const base = Math.max(0, meanY - slope * meanX)
    return base + (slope * audioMs) / 1000
  }
  const base = Math.min(guesses.syncBaseMs, ...ys)
  const rate = median(samples.map((sample) => (sample.latencyMs - base) / Math.max(1, sample.audioMs / 1000)))
  return base + (Math.max(0, rate) * audioMs) / 1000
}

/**
 * The expected completion of the split route: chunks of about `maxChunkMs` (cuts fall in pauses before
 * the limit, so a little shorter), started `60 s / requestsPerMinute` apart, the last one answering after
 * one sync call's latency, plus the decode pass (about 1 s per hour of audio).
 *
 * @since 0.2.0
 * @category utils
 */
export const splitMs = (params: {
  readonly durationMs: number
  readonly maxChunkMs: number
  readonly requestsPerMinute: number
  readonly sync: ReadonlyArray<SyncSample>
}): number => {
  const chunks = Math.max(1, Math.ceil(params.durationMs / (0.85 * params.maxChunkMs)))
  const spacing = params.requestsPerMinute > 0 ? 60_000 / params.requestsPerMinute : 0
  return params.durationMs / 3600 + (chunks - 1) * spacing +
    syncLatencyMs(params.sync, params.durationMs / chunks)
}

/**
 * The expected completion of the async route: the median queue wait, then the median processing rate,
 * plus `overheadMs` (an upload, the first poll's wait).
 *
 * @since 0.2.0
 * @category utils
 */
export const asyncMs = (params: {
  readonly durationMs: number
  readonly overheadMs: number
  readonly async: ReadonlyArray<AsyncSample>
}): number => {
  const queue = params.async.length === 0 ? guesses.asyncQueueMs : median(params.async.map((s) => s.queueMs))
  const rate = params.async.length === 0
    ? guesses.asyncRunMsPerAudioSecond
    : median(params.async.map((s) => s.runMs / Math.max(1, s.audioMs / 1000)))
  return params.overheadMs + queue + (rate * params.durationMs) / 1000
}
