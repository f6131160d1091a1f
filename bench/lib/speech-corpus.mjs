// A synthetic speech corpus whose word positions are known: espeak-ng speaks each word of a small
// vocabulary once (at a few pitches), sox resamples it to 16 kHz, and the recording is assembled from
// those words (sentences of 4–12 words, 30–90 ms between words, 350–1500 ms pauses between sentences)
// over a low noise floor, written to a 16 kHz mono 16-bit WAV one block at a time. The word intervals
// come back with it, so a bench can tell whether a cut falls inside a word.
import { execFileSync } from "node:child_process"
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"

const RATE = 16000
const vocabulary = (
  "planning meeting budget quarter release schedule customer feedback design review testing deploy server " +
  "network storage pipeline transcript recording morning evening project manager engineer product market " +
  "signal window number history future question answer simple careful quickly slowly between during after " +
  "before window garden river mountain city village station airport hospital library kitchen yellow purple " +
  "orange silver golden thunder weather summer winter autumn spring friday monday tuesday"
).split(" ")

/** A seeded PRNG (mulberry32), so the same seed gives the same recording. */
const random = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** The samples of one spoken word, trimmed to where it is audible (|x| > 64, about -54 dBFS). */
const speak = (dir, word, pitch) => {
  const raw = path.join(dir, `${word}-${pitch}.raw`)
  const wav = execFileSync("espeak-ng", ["-v", "en-us", "-p", String(pitch), "-s", "165", "--stdout", word])
  execFileSync("sox", ["-t", "wav", "-", "-r", String(RATE), "-t", "raw", "-e", "signed", "-b", "16", "-c", "1", raw], {
    input: wav
  })
  const bytes = readFileSync(raw)
  const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2)
  let first = 0
  let last = samples.length - 1
  while (first < last && Math.abs(samples[first]) <= 64) first++
  while (last > first && Math.abs(samples[last]) <= 64) last--
  return Int16Array.from(samples.subarray(first, last + 1))
}

const header = (dataBytes) => {
  const out = Buffer.alloc(44)
  out.write("RIFF", 0)
  out.writeUInt32LE(36 + dataBytes, 4)
  out.write("WAVEfmt ", 8)
  out.writeUInt32LE(16, 16)
  out.writeUInt16LE(1, 20)
  out.writeUInt16LE(1, 22)
  out.writeUInt32LE(RATE, 24)
  out.writeUInt32LE(RATE * 2, 28)
  out.writeUInt16LE(2, 32)
  out.writeUInt16LE(16, 34)
  out.write("data", 36)
  out.writeUInt32LE(dataBytes, 40)
  return out
}

/**
 * Writes `file`: `seconds` of speech. `noiseDb` is the RMS of the noise floor in dBFS (default -70);
 * `longRunEvery` (seconds, optional) inserts, that often, a 40-second stretch with no pause longer than
 * 90 ms (for the no-pause fallback); `vocabularySize` speaks fewer words (faster). Returns `{ words: [[beginMs, endMs], …], sentences, durationMs }`.
 */
export const makeCorpus = ({ file, longRunEvery, noiseDb = -70, seconds, seed = 7, vocabularySize = vocabulary.length }) => {
  const scratch = mkdtempSync(path.join(tmpdir(), "asrflow-corpus-"))
  try {
    const next = random(seed)
    const pitches = [35, 50, 65]
    const spoken = vocabulary.slice(0, vocabularySize).flatMap((word) => pitches.map((pitch) => speak(scratch, word, pitch)))
    const total = Math.round(seconds * RATE)
    const noiseRms = 32768 * 10 ** (noiseDb / 20)
    const words = []
    const sentences = []
    const fd = openSync(file, "w")
    writeSync(fd, header(total * 2))
    const block = new Int16Array(RATE)
    let filled = 0
    let written = 0
    const push = (sample) => {
      // a sum of uniforms is close enough to Gaussian noise here
      const noise = (next() + next() + next() - 1.5) * 2 * noiseRms
      block[filled++] = Math.max(-32768, Math.min(32767, Math.round(sample + noise)))
      written++
      if (filled === block.length) {
        writeSync(fd, Buffer.from(block.buffer))
        filled = 0
      }
    }
    const silence = (ms) => {
      const end = Math.min(total, written + Math.round((ms * RATE) / 1000))
      while (written < end) push(0)
    }
    let nextLongRun = longRunEvery === undefined ? Infinity : longRunEvery * RATE
    silence(500)
    while (written < total) {
      const longRun = written >= nextLongRun
      if (longRun) nextLongRun += longRunEvery * RATE
      const count = longRun ? 10_000 : 4 + Math.floor(next() * 9)
      const stop = longRun ? Math.min(total, written + 40 * RATE) : total
      const begin = written
      for (let i = 0; i < count && written < stop; i++) {
        const samples = spoken[Math.floor(next() * spoken.length)]
        if (written + samples.length + RATE / 2 > total) break
        const start = written
        for (const sample of samples) push(sample)
        words.push([(start * 1000) / RATE, (written * 1000) / RATE])
        silence(30 + next() * 60)
      }
      if (written > begin) sentences.push([(begin * 1000) / RATE, (written * 1000) / RATE])
      if (written + RATE / 2 > total) break
      silence(350 + next() * 1150)
    }
    silence(Infinity)
    if (filled > 0) writeSync(fd, Buffer.from(block.buffer, 0, filled * 2))
    closeSync(fd)
    return { words, sentences, durationMs: (total * 1000) / RATE }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

/** The cuts (ms) that fall strictly inside a word; `toleranceMs` forgives a cut that grazes a word's edge. */
export const cutsInsideWords = (cuts, words, toleranceMs = 0) => {
  const sorted = [...words].sort((a, b) => a[0] - b[0])
  return cuts.filter((cut) => {
    let lo = 0
    let hi = sorted.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const [begin, end] = sorted[mid]
      if (cut <= begin + toleranceMs) hi = mid - 1
      else if (cut >= end - toleranceMs) lo = mid + 1
      else return true
    }
    return false
  })
}
