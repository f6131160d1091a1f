/**
 * The audio of a sync request: a data URI, a loopback URL or an `oss://` upload, analysed and checked against the
 * sync limits (docs/PROTOCOL.md, Limits).
 *
 * @since 0.1.0
 */
import type { Analysis } from "./AudioAnalyzer.js"
import type { AudioInfo, Source } from "./AudioDuration.js"
import { fetchToMemory, isReachable } from "./AudioFetch.js"
import type { Container } from "./AudioFormat.js"
import { contradicts } from "./AudioFormat.js"
import * as DataUri from "./DataUri.js"
import type { Ctx } from "./internal/http.js"
import type { Rejection } from "./internal/rejection.js"
import { invalid, INVALID_URL, isRejection } from "./internal/rejection.js"
import * as OssReferences from "./OssReferences.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ResolvedAudio {
  readonly hash: string
  /** Keys for configured transcripts and the submission count: the URL first (if any), then the sha256. */
  readonly keys: ReadonlyArray<string>
  readonly info: AudioInfo
  readonly container: Container | "pcm"
  /** Where the bytes are, for transcripts that follow the audio. */
  readonly source: Source
  readonly mimeMismatch: boolean
}

const DOWNLOAD_FAILED: Rejection = {
  status: 415,
  code: "BadRequest.InputDownloadFailed",
  message: "Failed to download the input file."
}
const TOO_LARGE = "The audio file is too large. The maximum size is 10MB."

interface Loaded {
  readonly analysis: Analysis
  readonly declared: string | undefined
  readonly keys: ReadonlyArray<string>
  readonly source: Source
}

const loadDataUri = async (ctx: Ctx, audio: string): Promise<Loaded | Rejection> => {
  const maxBytes = ctx.state.config.max_data_uri_bytes
  const decoded = DataUri.decode(audio, maxBytes)
  if (decoded._tag === "TooLarge") {
    ctx.state.recorder.violation(
      "data_uri_too_large",
      ctx.endpoint,
      `data URI of ${decoded.encodedLength} encoded bytes exceeds ${maxBytes}`
    )
    return invalid(`The size of the audio data exceeds the limit of ${Math.round(maxBytes / 1048576)}MB.`)
  }
  if (decoded._tag === "Invalid") {
    ctx.state.recorder.violation("invalid_audio_url", ctx.endpoint, decoded.reason)
    return invalid(`Invalid data URI: ${decoded.reason}.`)
  }
  if (decoded.bytes.length === 0) return invalid("The audio is empty.")
  const analysis = await ctx.state.analyzer.analyzeBytes(decoded.bytes, decoded.mime)
  return { analysis, declared: decoded.mime, keys: [], source: { bytes: decoded.bytes } }
}

const loadOss = async (ctx: Ctx, audio: string, model: string): Promise<Loaded | Rejection> => {
  const object = OssReferences.resolve(ctx, audio, model)
  if (isRejection(object)) return object
  if (object.bytes > ctx.state.config.max_data_uri_bytes) return invalid(TOO_LARGE)
  const analysis = await ctx.state.analyzer.analyzeFile(object.file, object.sha256)
  return { analysis, declared: undefined, keys: [audio], source: { file: object.file } }
}

const loadUrl = async (ctx: Ctx, audio: string): Promise<Loaded | Rejection> => {
  let url: URL
  try {
    url = new URL(audio)
  } catch {
    ctx.state.recorder.violation("invalid_audio_url", ctx.endpoint, audio)
    return invalid(INVALID_URL)
  }
  if (!isReachable(url)) return DOWNLOAD_FAILED
  const fetched = await fetchToMemory(url, ctx.state.config.max_data_uri_bytes)
  if (fetched._tag === "Failed") return DOWNLOAD_FAILED
  if (fetched._tag === "TooLarge") return invalid(TOO_LARGE)
  const analysis = await ctx.state.analyzer.analyzeBytes(fetched.bytes)
  return { analysis, declared: undefined, keys: [audio], source: { bytes: fetched.bytes } }
}

/**
 * Turns an audio reference into analysed audio, or a rejection.
 *
 * @since 0.1.0
 * @category utils
 */
export const resolve = async (ctx: Ctx, audio: string, model: string): Promise<ResolvedAudio | Rejection> => {
  const state = ctx.state
  let loaded: Loaded | Rejection
  if (audio.startsWith("data:")) loaded = await loadDataUri(ctx, audio)
  else if (audio.startsWith("oss://")) loaded = await loadOss(ctx, audio, model)
  else if (/^https?:\/\//i.test(audio)) loaded = await loadUrl(ctx, audio)
  else {
    state.recorder.violation("invalid_audio_url", ctx.endpoint, `unsupported audio reference "${audio.slice(0, 80)}"`)
    return invalid(INVALID_URL)
  }
  if (isRejection(loaded)) return loaded
  const { analysis, declared } = loaded
  if (analysis._tag !== "Ok") {
    state.recorder.violation(
      "unsupported_format",
      ctx.endpoint,
      `audio ${analysis.sha256.slice(0, 12)} is not a supported container`
    )
    return { status: 415, code: "BadRequest.UnsupportedFileFormat", message: "Input file format is not supported." }
  }
  const seconds = analysis.info.durationMs / 1000
  const limit = state.config.max_sync_duration_s
  if (seconds > limit) {
    state.recorder.violation("audio_too_long", ctx.endpoint, `${seconds.toFixed(1)} s exceeds ${limit} s`)
    return invalid(`The audio is too long. The maximum duration is ${limit} seconds.`)
  }
  const mimeMismatch = declared !== undefined && analysis.container !== "pcm" &&
    contradicts(declared, analysis.container)
  if (mimeMismatch) {
    state.recorder.violation("mime_mismatch", ctx.endpoint, `declared ${declared}, bytes are ${analysis.container}`)
  }
  return {
    hash: analysis.sha256,
    keys: [...loaded.keys, analysis.sha256],
    info: analysis.info,
    container: analysis.container,
    source: loaded.source,
    mimeMismatch
  }
}
