/**
 * The output tree and safe output paths.
 *
 * ```
 * <output root>                       see core OutputRoot: --output-dir, output_dir, or ${OUTPUT_DIR:-output}/<provider folder>
 * ├── transcripts/<output key>.txt|json|srt|vtt
 * ├── transcripts.jsonl
 * ├── responses/<output key>.json     the redacted raw API responses of each item (evidence)
 * └── runs/<run id>.log.jsonl         one event per phase per item
 *     runs/<run id>.summary.json
 * ```
 *
 * An output key comes from outside (a file path, a URL, a manifest cell), so it is normalized before it
 * becomes a path: the result is always a relative POSIX path inside the sink's directory.
 *
 * @since 0.1.0
 */
import { SinkError } from "@asrflow/core/Sink"
import type { Path } from "@effect/platform"
import { Either } from "effect"
import { createHash } from "node:crypto"

/**
 * Sub-directories of the output root.
 *
 * @since 0.1.0
 * @category constants
 */
export const dirs = {
  transcripts: "transcripts",
  responses: "responses",
  runs: "runs"
} as const

/**
 * The longest file name (one path segment) most filesystems accept, in UTF-8 bytes.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_SEGMENT_BYTES = 255

/**
 * The longest normalized output key, in UTF-8 bytes (well under Linux's 4096-byte PATH_MAX).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_KEY_BYTES = 1024

// =============================================================================
// Keys
// =============================================================================

/** The UTF-8 length of a string, counted without encoding it (every item's key is measured). */
const byteLength = (input: string): number => {
  let bytes = 0
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < input.length) {
      const next = input.charCodeAt(i + 1)
      // a surrogate pair is one character of 4 bytes; a lone surrogate encodes as U+FFFD (3 bytes)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

const shortHash = (input: string): string => createHash("sha256").update(input, "utf8").digest("hex").slice(0, 8)

/** Cuts a string to at most `max` UTF-8 bytes without splitting a code point. */
const truncateBytes = (input: string, max: number): string => {
  if (byteLength(input) <= max) return input
  let output = ""
  let bytes = 0
  for (const char of input) {
    const size = byteLength(char)
    if (bytes + size > max) break
    output += char
    bytes += size
  }
  return output
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Normalizes an output key to a safe relative POSIX path (without extension).
 *
 * - `\` becomes `/`, empty and `.` segments are dropped (they name the same path);
 * - a leading `/` or drive letter (`C:`) is dropped, `..` segments become `__`, and control characters
 *   (NUL included) become `_`;
 * - a segment longer than 255 bytes (with `ext`) and a key longer than 1024 bytes are cut at a
 *   character boundary.
 *
 * Whenever a step other than dropping empty or `.` segments changed the key, the last segment gets a
 * `~<8 hex>` suffix made from the original key, so that two different keys never land on the same file.
 * Unicode (Chinese file names) is kept as it is. An empty key is an error.
 *
 * @since 0.1.0
 * @category utils
 */
export const normalizeKey = (key: string, ext = ""): string | undefined => {
  let lossy = false
  let working = key
  if (working.includes("\\")) {
    working = working.replace(/\\/g, "/")
    lossy = true
  }
  if (HAS_CONTROL.test(working)) {
    working = working.replace(CONTROL, "_")
    lossy = true
  }
  const drive = /^[A-Za-z]:(?=\/|$)/.exec(working)
  if (drive !== null) {
    working = working.slice(0, 1) + working.slice(2)
    lossy = true
  }
  if (working.startsWith("/")) lossy = true
  const segments: Array<string> = []
  for (const segment of working.split("/")) {
    if (segment === "" || segment === ".") continue
    if (segment === "..") {
      segments.push("__")
      lossy = true
      continue
    }
    segments.push(segment)
  }
  if (segments.length === 0) return undefined
  // a lossy key ends in `~` and 8 hex digits of its hash, taken only when it is used
  const suffixBytes = 9
  const extBytes = byteLength(ext)
  const cut = segments.map((segment, index) => {
    const budget = MAX_SEGMENT_BYTES - (index === segments.length - 1 ? extBytes + suffixBytes : 0)
    if (byteLength(segment) <= MAX_SEGMENT_BYTES - (index === segments.length - 1 ? extBytes : 0)) return segment
    lossy = true
    return truncateBytes(segment, budget)
  })
  let joined = cut.join("/")
  if (byteLength(joined) > MAX_KEY_BYTES - suffixBytes) {
    lossy = true
    joined = truncateBytes(joined, MAX_KEY_BYTES - suffixBytes).replace(/\/+$/, "")
  }
  if (!lossy) return joined
  const parts = joined.split("/")
  const last = parts.pop()!
  const budget = MAX_SEGMENT_BYTES - extBytes - suffixBytes
  return [...parts, `${truncateBytes(last, budget)}~${shortHash(key)}`].join("/")
}

/**
 * The absolute path of `<outputRoot>/<dir>/<normalized key><ext>`, checked to stay inside
 * `<outputRoot>/<dir>`. `dir` may be absolute (then the output root is not used).
 *
 * @since 0.1.0
 * @category utils
 */
export const resolveKey = (options: {
  readonly path: Path.Path
  readonly sink: string
  readonly outputRoot: string
  readonly dir: string
  readonly key: string
  readonly ext: string
}): Either.Either<string, SinkError> => {
  const { dir, ext, key, outputRoot, path, sink } = options
  const normalized = normalizeKey(key, ext)
  if (normalized === undefined) {
    return Either.left(
      new SinkError({ sink, reason: "Path", path: JSON.stringify(key), description: "the output key is empty" })
    )
  }
  const base = path.resolve(outputRoot, dir)
  const target = path.resolve(base, `${normalized}${ext}`)
  const relative = path.relative(base, target)
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
    return Either.left(
      new SinkError({
        sink,
        reason: "Path",
        path: target,
        description: `the output key ${JSON.stringify(key)} escapes ${base}`
      })
    )
  }
  return Either.right(target)
}

/**
 * The path of a file relative to the output root, in POSIX form (for `outputsFor` and summaries).
 *
 * @since 0.1.0
 * @category utils
 */
export const relativeToRoot = (path: Path.Path, outputRoot: string, target: string): string =>
  path.relative(path.resolve(outputRoot), target).split(path.sep).join("/")
