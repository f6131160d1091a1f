/**
 * Seeded randomness and deterministic identifiers.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"

/**
 * mulberry32: a small, fast, seedable PRNG returning floats in [0, 1).
 *
 * @since 0.1.0
 */
export const mulberry32 = (seed: number): () => number => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0")

/**
 * Deterministic UUID-shaped ids: the same seed gives the same sequence.
 *
 * @since 0.1.0
 */
export class IdSource {
  private next: () => number
  constructor(seed: number) {
    this.next = mulberry32(seed ^ 0x5eed1d)
  }
  private word(): number {
    return Math.floor(this.next() * 4294967296)
  }
  uuid(): string {
    const a = hex8(this.word())
    const b = hex8(this.word())
    const c = hex8(this.word())
    const d = hex8(this.word())
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${((parseInt(c[0]!, 16) & 0x3) | 0x8).toString(16)}${
      c.slice(1, 4)
    }-${c.slice(4)}${d}`
  }
  hex(chars: number): string {
    let out = ""
    while (out.length < chars) out += hex8(this.word())
    return out.slice(0, chars)
  }
}

/**
 * @since 0.1.0
 */
export const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex")

/**
 * A 32-bit seed derived from any string (e.g. an audio hash).
 *
 * @since 0.1.0
 */
export const seedOf = (text: string): number => {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 16777619)
  }
  return h >>> 0
}
