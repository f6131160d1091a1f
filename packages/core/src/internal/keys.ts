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

/**
 * Makes a key safe to use as a relative path: POSIX separators, no empty, `.` or `..` segments, and only
 * letters, digits, `.`, `_`, `-` and non-ASCII letters in segments. Returns `undefined` when nothing is left.
 *
 * @internal
 */
export const sanitize = (key: string): string | undefined => {
  const segments = key.replace(/\\/g, "/").split("/").flatMap((segment) => {
    const clean = segment.replace(/[^\p{L}\p{N}._-]+/gu, "_").replace(/^\.+$/, "")
    return clean === "" ? [] : [clean]
  })
  return segments.length === 0 ? undefined : segments.join("/")
}

/**
 * Given preferred keys (and a fallback per entry, used when the preferred key collides), returns keys
 * that are unique: colliding entries first take their fallback, then a `~2`, `~3`, … suffix, in order.
 * A `fixed` entry (an explicit key) always keeps its key; the others avoid it. Fixed keys must already
 * be unique among themselves.
 *
 * @internal
 */
export const unique = (
  entries: ReadonlyArray<{ readonly key: string; readonly fallback: string; readonly fixed?: boolean | undefined }>
): Array<string> => {
  const counts = new Map<string, number>()
  const used = new Set<string>()
  for (const entry of entries) {
    counts.set(entry.key, (counts.get(entry.key) ?? 0) + 1)
    if (entry.fixed === true) used.add(entry.key)
  }
  return entries.map((entry) => {
    if (entry.fixed === true) return entry.key
    let key = (counts.get(entry.key) ?? 0) > 1 ? entry.fallback : entry.key
    if (used.has(key)) {
      let n = 2
      while (used.has(`${key}~${n}`)) n++
      key = `${key}~${n}`
    }
    used.add(key)
    return key
  })
}
