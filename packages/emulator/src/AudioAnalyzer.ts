/**
 * Audio analysis (container and duration), cached by the sha256 of the bytes.
 *
 * @since 0.1.0
 */
import * as fsp from "node:fs/promises"
import type { AudioInfo } from "./AudioDuration.js"
import { parseAdts, parseWav, probe } from "./AudioDuration.js"
import type { Container } from "./AudioFormat.js"
import { isPcmMime, sniff, sniffFile } from "./AudioFormat.js"
import { sha256 } from "./internal/random.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Analysis =
  | { readonly _tag: "Ok"; readonly sha256: string; readonly container: Container | "pcm"; readonly info: AudioInfo }
  | { readonly _tag: "Unsupported"; readonly sha256: string }

/**
 * Analyses audio once per content hash.
 *
 * @since 0.1.0
 * @category models
 */
export class AudioAnalyzer {
  private cache = new Map<string, Analysis>()

  async analyzeBytes(bytes: Buffer, declaredMime?: string, known?: string): Promise<Analysis> {
    const hash = known ?? sha256(bytes)
    const cached = this.cache.get(hash)
    if (cached !== undefined) return cached
    const container = await sniff(bytes)
    let analysis: Analysis
    if (container === undefined) {
      analysis = declaredMime !== undefined && isPcmMime(declaredMime)
        ? {
          _tag: "Ok",
          sha256: hash,
          container: "pcm",
          info: { format: "pcm", sampleRate: 16000, channels: 1, durationMs: (bytes.length / 32000) * 1000 }
        }
        : { _tag: "Unsupported", sha256: hash }
    } else {
      const info = container === "wav"
        ? parseWav(bytes, bytes.length)
        : container === "aac"
        ? parseAdts(bytes)
        : await probe({ bytes }, container)
      analysis = info ? { _tag: "Ok", sha256: hash, container, info } : { _tag: "Unsupported", sha256: hash }
    }
    this.remember(hash, analysis)
    return analysis
  }

  async analyzeFile(file: string, hash: string): Promise<Analysis> {
    const cached = this.cache.get(hash)
    if (cached !== undefined) return cached
    const handle = await fsp.open(file, "r")
    let header: Buffer
    let size: number
    try {
      size = (await handle.stat()).size
      header = Buffer.alloc(Math.min(size, 1 << 20))
      await handle.read(header, 0, header.length, 0)
    } finally {
      await handle.close()
    }
    const container = await sniffFile(file, header)
    let analysis: Analysis = { _tag: "Unsupported", sha256: hash }
    if (container !== undefined) {
      const info = container === "wav"
        ? parseWav(header, size)
        : container === "aac" && size <= 64 * 1024 * 1024
        ? parseAdts(await fsp.readFile(file))
        : await probe({ file }, container)
      if (info) analysis = { _tag: "Ok", sha256: hash, container, info }
    }
    this.remember(hash, analysis)
    return analysis
  }

  private remember(hash: string, analysis: Analysis): void {
    if (this.cache.size > 10_000) this.cache.clear()
    this.cache.set(hash, analysis)
  }
}
