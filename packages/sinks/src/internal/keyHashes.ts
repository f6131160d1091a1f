/**
 * A compact record of many keys in order: a 52-bit hash per key in a growing `Float64Array` (8 bytes a key,
 * whatever the key's length), and which hashes occur more than once. A merge of 100,000 lines keeps this
 * instead of a map of 100,000 strings; only the keys whose hash repeats (true repeats, and the rare collision)
 * are then looked at as strings.
 *
 * @internal
 */
export class KeyHashes {
  private hashes = new Float64Array(1024)
  size = 0

  /** Records the next key. */
  add(key: string): void {
    const hash = hashOf(key)
    if (this.size === this.hashes.length) {
      const grown = new Float64Array(this.hashes.length * 2)
      grown.set(this.hashes)
      this.hashes = grown
    }
    this.hashes[this.size++] = hash
  }

  /** The hash of the key recorded at `index` (in the order of `add`). */
  at(index: number): number {
    return this.hashes[index]!
  }

  /** The hashes that were recorded more than once. */
  repeated(): Set<number> {
    const sorted = this.hashes.slice(0, this.size).sort()
    const repeated = new Set<number>()
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i] === sorted[i - 1]) repeated.add(sorted[i]!)
    }
    return repeated
  }
}

/**
 * Two 32-bit FNV-1a-style hashes of the key's UTF-16 units (different seeds and mixing), the top 26 bits of
 * each: an integer below 2^52, exact in a double.
 */
const hashOf = (key: string): number => {
  let a = 0x811c9dc5
  let b = 0x050c5d1f
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i)
    a = Math.imul(a ^ unit, 0x01000193)
    b = Math.imul(b ^ unit, 0x01000193) ^ (b >>> 15)
  }
  return (a >>> 6) * 0x4000000 + (b >>> 6)
}
