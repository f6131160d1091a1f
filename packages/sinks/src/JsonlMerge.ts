/**
 * Merging JSONL generations (the previous file, partials left by crashed runs, this run's partial) into
 * one file without holding their lines: a first pass reads only each line's output key and remembers
 * where its newest line is; a second pass copies the newest line of each key, in order, to a temp file
 * that is then renamed onto the target. Memory grows with the number of keys, not with the lines' text,
 * so a run of 100,000 items ends without reading 100,000 transcripts into memory.
 *
 * @since 0.2.0
 */
import { RunContext } from "@asrflow/core/RunContext"
import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Option, Stream } from "effect"
import { tempPathFor } from "./AtomicFile.js"

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

/** Hands the non-blank lines of a file to `onLines`, a chunk of the file at a time. */
const eachLine = <E>(
  fs: FileSystem.FileSystem,
  generation: Generation,
  onLines: (lines: ReadonlyArray<string>) => Effect.Effect<void, E>
): Effect.Effect<void, PlatformError | E> =>
  Effect.suspend(() => {
    let rest = ""
    const nonBlank = (lines: ReadonlyArray<string>) => lines.filter((line) => line.trim() !== "")
    return fs.stream(generation.file).pipe(
      Stream.decodeText(),
      Stream.runForEach((chunk) => {
        const lines = (rest + chunk).split("\n")
        rest = lines.pop() ?? ""
        return onLines(nonBlank(lines))
      }),
      Effect.zipRight(Effect.suspend(() => generation.keepUnterminated ? onLines(nonBlank([rest])) : Effect.void))
    )
  })

/** Lines are written in blocks of about this many characters. */
const blockChars = 256 * 1024

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
    const newest = new Map<string, number>()
    let index = 0
    for (const generation of generations) {
      yield* eachLine(fs, generation, (lines) =>
        Effect.sync(() => {
          // only keyed lines are remembered (the key itself, nothing added to it): any other line is kept
          for (const line of lines) {
            const key = outputKeyOf(line)
            if (key !== undefined) newest.set(key, index)
            index++
          }
        }))
    }
    const run = yield* Effect.serviceOption(RunContext)
    const temp = tempPathFor(path, target, Option.getOrUndefined(Option.map(run, (context) => context.runId)))
    yield* Effect.scoped(Effect.gen(function*() {
      const handle = yield* fs.open(temp, { flag: "w" })
      const encoder = new TextEncoder()
      let block = ""
      let position = 0
      const write = (text: string) => text === "" ? Effect.void : handle.writeAll(encoder.encode(text))
      for (const generation of generations) {
        yield* eachLine(fs, generation, (lines) =>
          Effect.suspend(() => {
            for (const line of lines) {
              const key = outputKeyOf(line)
              if (key === undefined || newest.get(key) === position) block += `${line}\n`
              position++
            }
            if (block.length < blockChars) return Effect.void
            const full = block
            block = ""
            return write(full)
          }))
      }
      yield* write(block)
    })).pipe(
      Effect.zipRight(fs.rename(temp, target)),
      Effect.onError(() => fs.remove(temp).pipe(Effect.ignore))
    )
  })
