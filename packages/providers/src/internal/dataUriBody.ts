/**
 * A JSON request body whose audio field is a local file as a Base64 data URI: a small file's bytes inline, a
 * larger one streamed from disk with an exact Content-Length, so that its body is never whole in memory and
 * many such requests can wait for their answers at once (the split route's chunks) without holding their audio.
 *
 * @internal
 */
import type { FileSystem } from "@effect/platform"
import { HttpBody } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Option, Stream } from "effect"

/**
 * A string that stands for the data URI in the body's JSON until the body is streamed.
 *
 * @internal
 */
export const placeholder = "asrflow-data-uri-placeholder-3f9c1e"

const encoder = new TextEncoder()

/**
 * The body of `json` (which holds `placeholder` once, as a string) with the placeholder replaced by the data
 * URI of `bytes` (a small file, whole): written straight into the body's bytes, so the Base64 is not copied
 * again into a JSON text and then into its UTF-8 (issue 18: a batch of short files sends one per item).
 * Node's native Base64: Effect's, in JavaScript, cost about 2 % of a batch of short files.
 *
 * @internal
 */
export const inline = (json: unknown, mime: string, bytes: Uint8Array): HttpBody.HttpBody => {
  const text = JSON.stringify(json)
  const at = text.indexOf(placeholder)
  // Base64 and the MIME type need no escaping in JSON
  const head = `${text.slice(0, at)}data:${mime};base64,`
  const tail = text.slice(at + placeholder.length)
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
  const body = Buffer.allocUnsafe(Buffer.byteLength(head) + base64.length + Buffer.byteLength(tail))
  let offset = body.write(head, 0)
  offset += body.write(base64, offset, "latin1")
  body.write(tail, offset)
  return HttpBody.uint8Array(body, "application/json")
}

const ALPHABET = encoder.encode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
const PAD = 61 // "="

/** Base64 of bytes, straight into bytes (no string in between: a chunk's audio makes no garbage twice). */
const encodeBase64 = (bytes: Uint8Array): Uint8Array => {
  const out = new Uint8Array(4 * Math.ceil(bytes.length / 3))
  let o = 0
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0
    out[o++] = ALPHABET[a >> 2]!
    out[o++] = ALPHABET[((a & 3) << 4) | (b >> 4)]!
    out[o++] = i + 1 < bytes.length ? ALPHABET[((b & 15) << 2) | (c >> 6)]! : PAD
    out[o++] = i + 2 < bytes.length ? ALPHABET[c & 63]! : PAD
  }
  return out
}

// a multiple of 3, so that every piece but the last encodes without padding
const READ_BYTES = 48 * 1024

/**
 * Base64 of a file, read through one reused buffer: only the encoded pieces are new, and each is let go
 * once sent (a stream of fresh read buffers doubles what waits for the collector).
 */
const fileBase64 = (fs: FileSystem.FileSystem, path: string): Stream.Stream<Uint8Array, PlatformError> =>
  Stream.unwrapScoped(Effect.map(fs.open(path, { flag: "r" }), (file) => {
    const buffer = new Uint8Array(READ_BYTES)
    let filled = 0
    let done = false
    const next = Effect.gen(function*() {
      if (done) return Option.none()
      while (filled < READ_BYTES) {
        const read = Number(yield* file.read(buffer.subarray(filled)))
        if (read === 0) break
        filled += read
      }
      if (filled < READ_BYTES) done = true
      const piece = encodeBase64(buffer.subarray(0, filled))
      filled = 0
      return Option.some(piece)
    })
    return Stream.repeatEffectOption(
      next.pipe(
        Effect.mapError(Option.some),
        Effect.flatMap((piece) => Option.isSome(piece) ? Effect.succeed(piece.value) : Effect.fail(Option.none()))
      )
    )
  }))

/**
 * The body of `json` (which holds `placeholder` once, as a string) with the placeholder replaced by
 * `data:<mime>;base64,<the file>`.
 *
 * @internal
 */
export const make = <E>(params: {
  readonly json: unknown
  readonly mime: string
  /** The file's bytes, already Base64. */
  readonly base64: Stream.Stream<Uint8Array, E>
  readonly fileBytes: number
}): HttpBody.HttpBody => {
  const text = JSON.stringify(params.json)
  const at = text.indexOf(placeholder)
  const prefix = encoder.encode(`${text.slice(0, at)}data:${params.mime};base64,`)
  const suffix = encoder.encode(text.slice(at + placeholder.length))
  const length = prefix.length + 4 * Math.ceil(params.fileBytes / 3) + suffix.length
  return HttpBody.stream(
    Stream.make(prefix).pipe(Stream.concat(params.base64), Stream.concat(Stream.make(suffix))),
    "application/json",
    length
  )
}

/**
 * Audio as a request carries it: a data URI or URL already in hand, or a local file streamed as a data URI.
 *
 * @internal
 */
export type Audio =
  | { readonly data: string; readonly ossResolve: boolean }
  | { readonly inline: Uint8Array; readonly mime: string }
  | { readonly file: string; readonly mime: string; readonly bytes: number }

/**
 * The body `build` makes around the audio: as it is for a data URI or URL, the bytes of a small file inline,
 * streamed for a larger file.
 *
 * @internal
 */
export const bodyOf = <B>(
  fs: FileSystem.FileSystem,
  audio: Audio,
  build: (data: string) => B
): B | HttpBody.HttpBody =>
  "data" in audio ?
    build(audio.data) :
    "inline" in audio ?
    inline(build(placeholder), audio.mime, audio.inline) :
    make({
      json: build(placeholder),
      mime: audio.mime,
      base64: fileBase64(fs, audio.file),
      fileBytes: audio.bytes
    })
