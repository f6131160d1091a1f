/**
 * Temporary uploads (docs/PROTOCOL.md, Temporary uploads): getPolicy, the OSS PostObject form (streamed to disk), and `oss://`
 * resolution bound to a model and a 48 h lifetime.
 *
 * @since 0.1.0
 */
import busboy from "busboy"
import { createHash, createHmac } from "node:crypto"
import { createWriteStream } from "node:fs"
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import { Transform } from "node:stream"
import { pipeline } from "node:stream/promises"
import type { Ctx } from "./internal/http.js"
import { header, ossError, sendText } from "./internal/http.js"
import type { State } from "./internal/state.js"
import { day } from "./internal/time.js"

// =============================================================================
// Models
// =============================================================================

/**
 * @since 0.1.0
 * @category models
 */
export interface OssObject {
  readonly key: string
  readonly model: string
  readonly createdAt: number
  readonly sha256: string
  readonly bytes: number
  readonly file: string
  readonly contentType: string | undefined
}

interface Policy {
  readonly policy: string
  readonly signature: string
  readonly uploadDir: string
  readonly model: string
  readonly expiresAt: number
}

/**
 * @since 0.1.0
 * @category models
 */
export type Resolved =
  | { readonly _tag: "Ok"; readonly object: OssObject }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "Expired" }
  | { readonly _tag: "WrongModel"; readonly boundTo: string }

const BUCKET = "dashscope-file-mgr"

/**
 * The form fields the official SDKs send (docs/PROTOCOL.md, Temporary uploads).
 *
 * @since 0.1.0
 * @category constants
 */
export const FORM_FIELDS: ReadonlySet<string> = new Set([
  "OSSAccessKeyId",
  "Signature",
  "policy",
  "key",
  "x-oss-object-acl",
  "x-oss-forbid-overwrite",
  "success_action_status",
  "x-oss-content-type"
])

// =============================================================================
// Store
// =============================================================================

/**
 * @since 0.1.0
 * @category models
 */
export class Uploads {
  private policies = new Map<string, Policy>()
  private objects = new Map<string, OssObject>()
  private reserved = new Set<string>()
  private readonly secret: string
  readonly accessKeyId: string
  private counter = 0

  constructor(private readonly state: State, readonly dir: string) {
    this.secret = state.ids.hex(40)
    this.accessKeyId = `LTAI5t${state.ids.hex(16).toUpperCase()}`
  }

  sign(text: string): string {
    return createHmac("sha1", this.secret).update(text).digest("base64")
  }

  issuePolicy(model: string): Record<string, unknown> {
    const now = this.state.clock.now()
    const expireIn = this.state.config.policy_expire_in_seconds
    const uploadDir = `dashscope-instant/${this.state.ids.hex(32)}/${day(now)}/${this.state.ids.uuid()}`
    const document = {
      expiration: new Date(now + expireIn * 1000).toISOString().replace(/\.\d{3}Z$/, ".000Z"),
      conditions: [
        ["content-length-range", 0, this.state.config.max_upload_bytes],
        ["starts-with", "$key", uploadDir],
        { bucket: BUCKET },
        { "x-oss-object-acl": "private" },
        { "x-oss-forbid-overwrite": "true" }
      ]
    }
    const policy = Buffer.from(JSON.stringify(document)).toString("base64")
    const signature = this.sign(policy)
    this.policies.set(signature, { policy, signature, uploadDir, model, expiresAt: now + expireIn * 1000 })
    return {
      policy,
      signature,
      upload_dir: uploadDir,
      upload_host: `${this.state.origin}/__oss/upload`,
      expire_in_seconds: expireIn,
      max_file_size_mb: Math.floor(this.state.config.max_upload_bytes / (1024 * 1024)),
      capacity_limit_mb: 999999999,
      oss_access_key_id: this.accessKeyId,
      x_oss_object_acl: "private",
      x_oss_forbid_overwrite: "true"
    }
  }

  resolve(url: string, model: string): Resolved {
    const key = url.slice("oss://".length)
    const object = this.objects.get(key)
    if (object === undefined) return { _tag: "NotFound" }
    if (this.state.clock.now() > object.createdAt + this.state.config.oss_ttl_s * 1000) return { _tag: "Expired" }
    if (object.model !== model) return { _tag: "WrongModel", boundTo: object.model }
    return { _tag: "Ok", object }
  }

  async close(removeDir: boolean): Promise<void> {
    if (removeDir) await fsp.rm(this.dir, { recursive: true, force: true })
  }

  // ===========================================================================
  // The OSS PostObject form
  // ===========================================================================

  /** Handles `POST {upload_host}`: a multipart form, fields first, `file` last, streamed to disk. */
  handleUpload(ctx: Ctx): Promise<void> {
    return new Promise((resolve) => {
      const contentType = header(ctx.req, "content-type") ?? ""
      if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
        ctx.req.resume()
        ossError(ctx, 400, "InvalidArgument", "The content type of the request must be multipart/form-data.")
        return resolve()
      }
      let parser: busboy.Busboy
      try {
        parser = busboy({
          headers: ctx.req.headers,
          limits: { fileSize: this.state.config.max_upload_bytes, files: 1, fields: 64 },
          highWaterMark: 1 << 20
        })
      } catch {
        ctx.req.resume()
        ossError(ctx, 400, "InvalidArgument", "Malformed multipart body.")
        return resolve()
      }
      const fields = new Map<string, string>()
      let failure: { status: number; code: string; message: string; fields?: Record<string, string> } | undefined
      let writing: Promise<void> | undefined
      let stored: OssObject | undefined
      let sawFile = false

      const fail = (status: number, code: string, message: string, extra?: Record<string, string>) => {
        if (failure === undefined) failure = { status, code, message, ...(extra ? { fields: extra } : {}) }
      }

      parser.on("field", (name, value) => {
        if (sawFile) return
        if (value.includes(this.state.apiKey)) {
          this.state.recorder.violation("key_leak", "upload", `the API key was sent in form field "${name}"`)
        }
        if (!FORM_FIELDS.has(name)) {
          this.state.recorder.violation("upload_form", "upload", `unexpected form field "${name}"`)
        }
        fields.set(name, value)
      })

      parser.on("file", (name, stream, info) => {
        sawFile = true
        if (name !== "file") {
          this.state.recorder.violation("upload_form", "upload", `file part named "${name}", expected "file"`)
        }
        const check = this.checkForm(fields)
        if (check !== undefined) {
          fail(check.status, check.code, check.message, check.fields)
          stream.resume()
          return
        }
        const key = fields.get("key")!
        const model = this.policyFor(fields)!.model
        this.reserved.add(key)
        const file = path.join(this.dir, `object-${++this.counter}`)
        const partial = `${file}.part`
        const hash = createHash("sha256")
        let bytes = 0
        const meter = new Transform({
          highWaterMark: 1 << 20,
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk)
            bytes += chunk.length
            callback(null, chunk)
          }
        })
        writing = pipeline(stream, meter, createWriteStream(partial, { highWaterMark: 1 << 20 })).then(
          async () => {
            if (stream.truncated) {
              await fsp.rm(partial, { force: true })
              this.reserved.delete(key)
              fail(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", {
                MaxSizeAllowed: String(this.state.config.max_upload_bytes)
              })
              return
            }
            await fsp.rename(partial, file)
            stored = {
              key,
              model,
              createdAt: this.state.clock.now(),
              sha256: hash.digest("hex"),
              bytes,
              file,
              contentType: fields.get("x-oss-content-type") ?? info.mimeType
            }
            this.objects.set(key, stored)
            this.reserved.delete(key)
          },
          async () => {
            await fsp.rm(partial, { force: true })
            this.reserved.delete(key)
            fail(400, "IncompleteBody", "The request body was aborted.")
          }
        )
      })

      const finish = async () => {
        if (writing !== undefined) await writing
        if (!sawFile && failure === undefined) {
          fail(400, "InvalidArgument", "The body of your POST request is not well-formed multipart/form-data.")
        }
        if (failure !== undefined) {
          ossError(ctx, failure.status, failure.code, failure.message, failure.fields)
          return resolve()
        }
        const cut = ctx.truncate
        if (stored !== undefined && cut !== undefined && !cut.keepObject) await this.forget(stored.key)
        else if (stored !== undefined) {
          this.state.recorder.uploads.push({ key: stored.key, bytes: stored.bytes, model: stored.model })
        }
        const etag = `"${stored?.sha256 ?? ""}"`
        const status = fields.get("success_action_status")
        // A reply cut off after its headers needs a body to cut: the PostResponse document stands in for the
        // empty 200 (or 204) body.
        if (status === "201" || cut !== undefined) {
          sendText(ctx, status === "201" ? 201 : 200, "application/xml", this.postResponse(stored), { etag })
        } else if (status === "200") sendText(ctx, 200, "application/xml", "", { etag })
        else {
          ctx.res.writeHead(204, { "x-oss-request-id": ctx.requestId, etag })
          ctx.res.end()
        }
        resolve()
      }

      parser.on("close", () => void finish())
      parser.on("error", () => {
        fail(400, "InvalidArgument", "Malformed multipart body.")
        ctx.req.unpipe(parser)
        ctx.req.resume()
        void finish()
      })
      ctx.req.on("aborted", () => resolve())
      ctx.req.pipe(parser)
    })
  }

  private postResponse(stored: OssObject | undefined): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>\n  <Bucket>${BUCKET}</Bucket>\n  <Location>${this.state.origin}/${stored?.key}</Location>\n  <Key>${stored?.key}</Key>\n  <ETag>"${stored?.sha256}"</ETag>\n</PostResponse>\n`
  }

  /** Removes a stored object (an upload cut off by a fault, or an `oss_missing` fault). */
  async forget(key: string): Promise<void> {
    const object = this.objects.get(key)
    this.objects.delete(key)
    if (object !== undefined) await fsp.rm(object.file, { force: true })
  }

  private policyFor(fields: Map<string, string>): Policy | undefined {
    const signature = fields.get("Signature")
    return signature === undefined ? undefined : this.policies.get(signature)
  }

  private checkForm(
    fields: Map<string, string>
  ): { status: number; code: string; message: string; fields?: Record<string, string> } | undefined {
    for (const name of ["OSSAccessKeyId", "Signature", "policy", "key"]) {
      if (!fields.has(name)) {
        this.state.recorder.violation("upload_form", "upload", `missing form field "${name}" before the file`)
        return name === "key"
          ? { status: 400, code: "InvalidArgument", message: "Bucket POST must contain a field named 'key'." }
          : { status: 403, code: "AccessDenied", message: `Bucket POST must contain a field named '${name}'.` }
      }
    }
    for (const name of ["x-oss-object-acl", "x-oss-forbid-overwrite", "success_action_status"]) {
      if (!fields.has(name)) {
        this.state.recorder.violation("upload_form", "upload", `missing SDK form field "${name}"`)
      }
    }
    if (fields.get("OSSAccessKeyId") !== this.accessKeyId) {
      return { status: 403, code: "InvalidAccessKeyId", message: "The OSS Access Key Id you provided does not exist." }
    }
    const policy = this.policyFor(fields)
    const signed = this.sign(fields.get("policy")!)
    if (policy === undefined || signed !== fields.get("Signature") || policy.policy !== fields.get("policy")) {
      return {
        status: 403,
        code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided."
      }
    }
    if (this.state.clock.now() > policy.expiresAt) {
      return { status: 403, code: "AccessDenied", message: "Invalid according to Policy: Policy expired." }
    }
    const key = fields.get("key")!
    if (!key.startsWith(policy.uploadDir)) {
      return {
        status: 403,
        code: "AccessDenied",
        message: `Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "${policy.uploadDir}"]`
      }
    }
    const acl = fields.get("x-oss-object-acl")
    if (acl !== undefined && acl !== "private") {
      return {
        status: 403,
        code: "AccessDenied",
        message: `Invalid according to Policy: Policy Condition failed: {"x-oss-object-acl": "private"}`
      }
    }
    const forbid = fields.get("x-oss-forbid-overwrite")
    if (forbid !== undefined && forbid !== "true") {
      return {
        status: 403,
        code: "AccessDenied",
        message: `Invalid according to Policy: Policy Condition failed: {"x-oss-forbid-overwrite": "true"}`
      }
    }
    if (this.objects.has(key) || this.reserved.has(key)) {
      return {
        status: 409,
        code: "FileAlreadyExists",
        message: "The object you specified already exists and can not be overwritten."
      }
    }
    return undefined
  }
}
