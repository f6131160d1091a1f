/**
 * The audio of an async task: fetched (a URL on the loopback interface) or read (an `oss://` upload), analysed,
 * and, when a transcript follows the audio or speakers are wanted, split into voiced segments. Both task APIs
 * (qwen3 filetrans and the Fun-ASR/Paraformer batches) load their files through it.
 *
 * @since 0.2.0
 */
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import type { Analysis } from "./AudioAnalyzer.js"
import type { Segment } from "./AudioContent.js"
import { fetchToFile, isReachable } from "./AudioFetch.js"
import type { State } from "./internal/state.js"

/**
 * Where a task's file is: a URL, or a stored upload.
 *
 * @since 0.2.0
 * @category models
 */
export type Source =
  | { readonly _tag: "Url"; readonly url: URL }
  | { readonly _tag: "Oss"; readonly file: string; readonly sha256: string }

/**
 * What loading found.
 *
 * @since 0.2.0
 * @category models
 */
export type Loaded =
  | {
    readonly _tag: "Ready"
    readonly analysis: Extract<Analysis, { _tag: "Ok" }>
    readonly segments: ReadonlyArray<Segment> | undefined
  }
  | { readonly _tag: "Unreachable" }
  | { readonly _tag: "Undecodable" }

const inspect = async (
  state: State,
  file: string,
  sha256: string,
  wantSegments: boolean
): Promise<Loaded> => {
  const analysis = await state.analyzer.analyzeFile(file, sha256).catch(() => ({
    _tag: "Unsupported" as const,
    sha256
  }))
  if (analysis._tag !== "Ok") return { _tag: "Undecodable" }
  const segments = wantSegments || state.config.synthetic_transcripts === "audio"
    ? await state.content.segmentsOf(sha256, { file }, analysis.container, wantSegments)
    : undefined
  return { _tag: "Ready", analysis, segments }
}

/**
 * Loads a task's file; `id` names the temporary download. `segments` asks for the voiced segments even when
 * transcripts do not follow the audio (speaker labels need them).
 *
 * @since 0.2.0
 * @category constructors
 */
export const load = async (
  state: State,
  options: { readonly id: string; readonly source: Source; readonly segments?: boolean | undefined }
): Promise<Loaded> => {
  const { source } = options
  const wantSegments = options.segments === true
  if (source._tag === "Oss") return inspect(state, source.file, source.sha256, wantSegments)
  if (!isReachable(source.url)) return { _tag: "Unreachable" }
  const file = path.join(state.uploads.dir, `download-${options.id}`)
  try {
    const fetched = await fetchToFile(source.url, file)
    if (fetched._tag === "Failed") return { _tag: "Unreachable" }
    return await inspect(state, file, fetched.sha256, wantSegments)
  } finally {
    await fsp.rm(file, { force: true })
  }
}
