/**
 * Merging JSONL generations (the previous file, partials left by crashed runs, this run's partial) into
 * one file without holding their lines: a first pass reads only each line's output key and remembers
 * where its newest line is; a second pass copies the newest line of each key, in order, to a temp file
 * that is then renamed onto the target. What is kept is 8 bytes a line (a hash of its key), and the keys
 * themselves only where a hash repeats: a run of 100,000 items ends without holding 100,000 transcripts, or
 * 100,000 keys, in memory.
 *
 * @since 0.2.0
 */
import { RunContext } from "@asrflow/core/RunContext"
import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Option } from "effect"
import { tempPathFor } from "./AtomicFile.js"
import { KeyHashes } from "./internal/keyHashes.js"

/**
 * The merge key of a line: its output key, or (for a line that is not such JSON) its position, so it is kept.
 *
 * @since 0.2.0
 * @category utils
 */
export const keyOf = (text: string, index: number): string => {
  const key = outputKeyOf(text)
  return key === undefined ? `#${index}` : `k:${key}`
}

/** A line's output key, or undefined for a line that is not such JSON (it is kept at its place). */
const outputKeyOf = (text: string): string | undefined => {
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === "object" && parsed !== null && "output_key" in parsed) {
      const key = (parsed as { readonly output_key: unknown }).output_key
      if (typeof key === "string") return key
    }
  } catch {
    // not JSON
  }
  return undefined
}

/**
 * One generation to merge: a file, and whether a last line without its newline counts (the previous
 * target was written whole; a partial's unterminated last line was cut off by a crash).
 *
 * @since 0.2.0
 * @category models
 */
export interface Generation {
  readonly file: string
  readonly keepUnterminated: boolean
}

/** How many bytes of a generation are read at a time, into one buffer reused for the whole file. */
const readBytes = 64 * 1024

/**
 * Hands the non-blank lines of a file to `onLines`, a chunk of the file at a time. One buffer is read into
 * again and again: a fresh buffer per chunk is garbage outside the heap, which the collector frees late, and
 * a merge of a 100,000-line file then held tens of MB of dead chunks at once.
 */
const eachLine = <E>(
  fs: FileSystem.FileSystem,
  generation: Generation,
  onLines: (lines: ReadonlyArray<string>) => Effect.Effect<void, E>
): Effect.Effect<void, PlatformError | E> =>
  Effect.scoped(Effect.gen(function*() {
    const handle = yield* fs.open(generation.file, { flag: "r" })
    const buffer = new Uint8Array(readBytes)
    const decoder = new TextDecoder()
    const nonBlank = (lines: ReadonlyArray<string>) => lines.filter((line) => line.trim() !== "")
    let rest = ""
    for (let size = Number(yield* handle.read(buffer)); size > 0; size = Number(yield* handle.read(buffer))) {
      const lines = (rest + decoder.decode(buffer.subarray(0, size), { stream: true })).split("\n")
      rest = lines.pop() ?? ""
      yield* onLines(nonBlank(lines))
    }
    rest += decoder.decode()
    if (generation.keepUnterminated) yield* onLines(nonBlank([rest]))
  }))

/** Kept lines are written in blocks of at most this many bytes. */
const writeBytes = 256 * 1024

/**
 * Merges the generations, oldest first, into `target`: one line per output key, the newest wins and takes
 * the newest place; lines that are not JSON are all kept. The target is replaced atomically.
 *
 * @since 0.2.0
 * @category constructors
 */
export const mergeInto = (
  target: string,
  generations: ReadonlyArray<Generation>
): Effect.Effect<void, PlatformError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    // first pass: a hash per keyed line, in order; any other line is kept wherever it is
    const hashes = new KeyHashes()
    const eachKey = (onKey: (key: string) => void) =>
      Effect.forEach(generations, (generation) =>
        eachLine(fs, generation, (lines) =>
          Effect.sync(() => {
            for (const line of lines) {
              const key = outputKeyOf(line)
              if (key !== undefined) onKey(key)
            }
          })), { discard: true })
    yield* eachKey((key) => hashes.add(key))
    // only the keys whose hash repeats (a key written again, or a collision) are remembered as strings, with
    // the place of their newest line: a second pass, needed only when there are any
    const repeated = hashes.repeated()
    const newest = new Map<string, number>()
    if (repeated.size > 0) {
      let index = 0
      yield* eachKey((key) => {
        if (repeated.has(hashes.at(index))) newest.set(key, index)
        index++
      })
    }
    const run = yield* Effect.serviceOption(RunContext)
    const temp = tempPathFor(path, target, Option.getOrUndefined(Option.map(run, (context) => context.runId)))
    yield* Effect.scoped(Effect.gen(function*() {
      const handle = yield* fs.open(temp, { flag: "w" })
      const encoder = new TextEncoder()
      // each chunk's kept lines are encoded straight into one buffer, written out first when they might not
      // fit: no joined text to flatten and no fresh bytes per write (garbage that the collector frees late)
      const out = new Uint8Array(writeBytes)
      let filled = 0
      const flush = Effect.suspend(() => {
        const full = out.subarray(0, filled)
        filled = 0
        return full.length === 0 ? Effect.void : handle.writeAll(full)
      })
      let keyed = 0
      for (const generation of generations) {
        yield* eachLine(fs, generation, (lines) => {
          let most = 0 // the kept lines' bytes at most: 3 a UTF-16 unit, and a newline each
          const kept = lines.filter((line) => {
            const key = outputKeyOf(line)
            const keep = key === undefined || !repeated.has(hashes.at(keyed)) || newest.get(key) === keyed
            if (key !== undefined) keyed++
            if (keep) most += line.length * 3 + 1
            return keep
          })
          // lines too long for the buffer (one line longer than a read) go out on their own
          if (most > out.length) {
            return Effect.zipRight(flush, handle.writeAll(encoder.encode(kept.map((line) => `${line}\n`).join(""))))
          }
          const encode = Effect.sync(() => {
            for (const line of kept) {
              filled += encoder.encodeInto(line, out.subarray(filled)).written
              out[filled++] = 0x0a
            }
          })
          return most > out.length - filled ? Effect.zipRight(flush, encode) : encode
        })
      }
      yield* flush
    })).pipe(
      Effect.zipRight(fs.rename(temp, target)),
      Effect.onError(() => fs.remove(temp).pipe(Effect.ignore))
    )
  })
