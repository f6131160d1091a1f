/**
 * Reading the `multipart/form-data` body of an OpenAI-compatible transcription request: the text fields (arrays as
 * `name[]`, the way the official SDKs send them) and the `file` part, streamed to a temporary file and hashed, never
 * held in memory, with the route's size limit enforced while reading.
 *
 * @since 0.2.0
 */
import busboy from "busboy"
import { createHash } from "node:crypto"
import { createWriteStream } from "node:fs"
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import { Transform } from "node:stream"
import { pipeline } from "node:stream/promises"
import type { Ctx } from "./internal/http.js"

/**
 * The received form.
 *
 * @since 0.2.0
 * @category models
 */
export interface Form {
  /** Text fields by name; a `name[]` field collects every value. */
  readonly fields: ReadonlyMap<string, ReadonlyArray<string>>
  readonly file:
    | {
      readonly path: string
      readonly name: string
      readonly mimeType: string
      readonly bytes: number
      readonly sha256: string
    }
    | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export type Read =
  | { readonly _tag: "Ok"; readonly form: Form }
  | { readonly _tag: "NotMultipart" }
  | { readonly _tag: "TooLarge"; readonly bytes: number }
  | { readonly _tag: "Malformed" }

let counter = 0

/**
 * Reads the form; the caller removes `form.file.path` when done. `limit` bounds the file part's bytes.
 *
 * @since 0.2.0
 * @category constructors
 */
export const read = (ctx: Ctx, limit: number): Promise<Read> =>
  new Promise((resolve) => {
    let parser: busboy.Busboy
    try {
      parser = busboy({ headers: ctx.req.headers, limits: { fileSize: limit, files: 1, fields: 64 } })
    } catch {
      ctx.req.resume()
      return resolve({ _tag: "NotMultipart" })
    }
    const fields = new Map<string, Array<string>>()
    let file: Form["file"]
    let writing: Promise<void> | undefined
    let tooLarge: number | undefined
    let malformed = false

    parser.on("field", (name, value) => fields.set(name, [...(fields.get(name) ?? []), value]))
    parser.on("file", (name, stream, info) => {
      if (name !== "file" || writing !== undefined) {
        stream.resume()
        return
      }
      const target = path.join(ctx.state.uploads.dir, `transcription-${process.pid}-${++counter}`)
      const hash = createHash("sha256")
      let bytes = 0
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk)
          bytes += chunk.length
          callback(null, chunk)
        }
      })
      writing = pipeline(stream, meter, createWriteStream(target)).then(
        async () => {
          if (stream.truncated) {
            tooLarge = bytes
            await fsp.rm(target, { force: true })
            return
          }
          file = {
            path: target,
            name: info.filename ?? "audio",
            mimeType: info.mimeType,
            bytes,
            sha256: hash.digest("hex")
          }
        },
        async () => {
          malformed = true
          await fsp.rm(target, { force: true })
        }
      )
    })
    const finish = async () => {
      if (writing !== undefined) await writing
      if (tooLarge !== undefined) return resolve({ _tag: "TooLarge", bytes: tooLarge })
      if (malformed) {
        if (file !== undefined) await fsp.rm(file.path, { force: true })
        return resolve({ _tag: "Malformed" })
      }
      resolve({ _tag: "Ok", form: { fields, file } })
    }
    parser.on("close", () => void finish())
    parser.on("error", () => {
      malformed = true
      ctx.req.unpipe(parser)
      ctx.req.resume()
      void finish()
    })
    ctx.req.on("aborted", () => resolve({ _tag: "Malformed" }))
    ctx.req.pipe(parser)
  })
