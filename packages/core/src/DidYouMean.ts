/**
 * "Did you mean" suggestions by Damerau-Levenshtein (optimal string alignment) distance, for misspelled
 * keys, component types, enum values, flags and model ids alike.
 *
 * @since 0.2.0
 */

/**
 * The edit distance between two strings (insertions, deletions, substitutions, adjacent swaps).
 *
 * @since 0.2.0
 * @category utils
 */
export const distance = (a: string, b: string): number => {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: Array<Array<number>> = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0)
    row[0] = i
    return row
  })
  for (let j = 0; j < cols; j++) d[0][j] = j
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
      }
    }
  }
  return d[rows - 1][cols - 1]
}

/**
 * The closest candidate, if it is close enough to be a plausible misspelling (at most a third of the
 * word's length, and at most 3 edits). Comparison ignores case, `-` and `_`.
 *
 * @since 0.2.0
 * @category utils
 */
export const closest = (word: string, candidates: Iterable<string>): string | undefined => {
  const normalize = (s: string) => s.toLowerCase().replace(/[-_]/g, "")
  const target = normalize(word)
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = distance(target, normalize(candidate))
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  const limit = Math.min(3, Math.max(1, Math.ceil(word.length / 3)))
  return bestDistance <= limit ? best : undefined
}

/**
 * `; did you mean \`x\`?` or the empty string.
 *
 * @since 0.2.0
 * @category utils
 */
export const suffix = (word: string, candidates: Iterable<string>): string => {
  const match = closest(word, candidates)
  return match === undefined ? "" : `; did you mean \`${match}\`?`
}
