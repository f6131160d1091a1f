/**
 * Output keys: relative POSIX paths without extension, made unique deterministically.
 *
 * @since 0.1.0
 */

/** @internal */
export const stripExtension = (key: string): string => {
  const slash = key.lastIndexOf("/")
  const dot = key.lastIndexOf(".")
  return dot > slash + 1 ? key.slice(0, dot) : key
}

/** @internal */
export const extensionOf = (name: string): string => {
  const base = name.slice(name.lastIndexOf("/") + 1)
  const dot = base.lastIndexOf(".")
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : ""
}

/** ASCII segments that `sanitize` leaves as they are: none empty, none only dots (a segment cannot start with one). */
const safe = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/

/**
 * Makes a key safe to use as a relative path: POSIX separators, no empty, `.` or `..` segments, and only
 * letters, digits, `.`, `_`, `-` and non-ASCII letters in segments. Returns `undefined` when nothing is left.
 *
 * @internal
 */
export const sanitize = (key: string): string | undefined => {
  // most keys are already safe: one test instead of a Unicode replace per segment (a manifest of many rows)
  if (safe.test(key)) return key
  const segments = key.replace(/\\/g, "/").split("/").flatMap((segment) => {
    const clean = segment.replace(/[^\p{L}\p{N}._-]+/gu, "_").replace(/^\.+$/, "")
    return clean === "" ? [] : [clean]
  })
  return segments.length === 0 ? undefined : segments.join("/")
}

/** @internal */
export interface KeyEntry {
  readonly key: string
  readonly fallback: string
  readonly fixed?: boolean | undefined
}

/**
 * What making keys unique needs to know of all the entries before the first one is given its key: how
 * often each preferred key occurs, and the fixed keys. Counted in a first pass over the entries.
 *
 * @internal
 */
export class KeyCensus {
  readonly counts = new Map<string, number>()
  readonly fixed = new Set<string>()

  add(entry: KeyEntry): void {
    this.counts.set(entry.key, (this.counts.get(entry.key) ?? 0) + 1)
    if (entry.fixed === true) this.fixed.add(entry.key)
  }
}

/**
 * Gives each entry, in order, a unique key: colliding entries first take their fallback, then a `~2`,
 * `~3`, … suffix. A `fixed` entry (an explicit key) always keeps its key; the others avoid it. Fixed keys
 * must already be unique among themselves. Takes over the census (its fixed keys become the used ones).
 *
 * @internal
 */
export const assigner = (census: KeyCensus): (entry: KeyEntry) => string => {
  const used = census.fixed
  return (entry) => {
    if (entry.fixed === true) return entry.key
    let key = (census.counts.get(entry.key) ?? 0) > 1 ? entry.fallback : entry.key
    if (used.has(key)) {
      let n = 2
      while (used.has(`${key}~${n}`)) n++
      key = `${key}~${n}`
    }
    used.add(key)
    return key
  }
}

/**
 * Given preferred keys (and a fallback per entry, used when the preferred key collides), returns keys
 * that are unique (see `assigner`).
 *
 * @internal
 */
export const unique = (entries: ReadonlyArray<KeyEntry>): Array<string> => {
  const census = new KeyCensus()
  for (const entry of entries) census.add(entry)
  return entries.map(assigner(census))
}

/**
 * Code-unit order of two strings, the order files and keys are listed in.
 *
 * @internal
 */
export const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Whether every path ends in the same extension, which `stripExtension` removes from each. */
const oneExtension = (rels: ReadonlyArray<string>): boolean => {
  if (rels.length === 0) return true
  const first = rels[0]!
  const extension = first.slice(stripExtension(first).length)
  if (extension === "") return false
  return rels.every((rel) =>
    rel.endsWith(extension) && rel.length > extension.length && rel[rel.length - extension.length - 1] !== "/"
  )
}

/**
 * The keys of files found by a walk that a clash changed, by file index (`rels` are paths relative to their
 * walk's root); every other file's key is its path without the extension. Clashes are settled in the order of
 * the files' absolute paths, not of the patterns: reordering them must not move outputs (or re-bill them under
 * new fingerprints). One pattern's files are in that order already, so `absoluteOf` is given only for several.
 * What a listing keeps is the returned map, not the whole list of keys it is computed from (a few MB at 100,000
 * files).
 *
 * @internal
 */
export const changedByClashes = (
  rels: ReadonlyArray<string>,
  absoluteOf: ((index: number) => string) | undefined
): Map<number, string> => {
  const changed = new Map<number, string>()
  // the usual case: one pattern's files (each path once) with the same extension: no two share a key
  if (absoluteOf === undefined && oneExtension(rels)) return changed
  const byPath = rels.map((_, index) => index)
  if (absoluteOf !== undefined) {
    const absolutes = byPath.map(absoluteOf)
    byPath.sort((a, b) => compare(absolutes[a]!, absolutes[b]!))
  }
  const settled = unique(byPath.map((index) => ({
    key: stripExtension(rels[index]!),
    fallback: rels[index]!
  })))
  byPath.forEach((index, position) => {
    if (settled[position] !== stripExtension(rels[index]!)) changed.set(index, settled[position]!)
  })
  return changed
}
