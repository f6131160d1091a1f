import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"

/** One recorded request shape (see test/fixtures/sdk/README.md). */
export interface Fixture {
  readonly client: string
  readonly call: string
  readonly request: {
    readonly method: string
    readonly path: string
    readonly headers: Record<string, string>
    readonly json?: unknown
    readonly form?: {
      readonly fields: ReadonlyArray<readonly [string, string]>
      readonly file: { readonly field: string; readonly filename: string }
    }
  }
  readonly expect: { readonly status: number; readonly format: "json" | "dashscope-sse" | "openai-sse" | "empty" }
}

export const FIXTURES = path.join(__dirname, "../fixtures/sdk")

export const fixtureNames = (): Array<string> => fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".json")).sort()

export const loadFixture = (name: string): Fixture => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8"))

const fill = (value: unknown, vars: Record<string, string>): unknown => {
  if (typeof value === "string") {
    return value.replace(/\{\{([\w.]+)\}\}/g, (whole, name: string) => {
      if (!(name in vars)) throw new Error(`no value for ${whole}`)
      return vars[name]!
    })
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, vars))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]))
  }
  return value
}

export interface Replied {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly text: string
}

/** Sends the fixture's request with node:http, headers verbatim, against `origin`. */
export const replay = (
  fixture: Fixture,
  origin: string,
  vars: Record<string, string>,
  file: Buffer = Buffer.alloc(0)
): Promise<Replied> => {
  const boundary = "9a1f6c2e4b7d8e0f1a2b3c4d5e6f7a8b"
  const request = fill(fixture.request, { ...vars, boundary }) as Fixture["request"]
  let body: Buffer | undefined
  if (request.json !== undefined) body = Buffer.from(JSON.stringify(request.json))
  if (request.form !== undefined) {
    const parts: Array<Buffer> = []
    for (const [name, value] of request.form.fields) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`))
    }
    const { field, filename } = request.form.file
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n\r\n`)
    )
    parts.push(file, Buffer.from(`\r\n--${boundary}--\r\n`))
    body = Buffer.concat(parts)
  }
  const url = new URL(request.path, origin)
  const headers: Record<string, string | number> = { ...request.headers }
  if (body !== undefined) headers["Content-Length"] = body.length
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: request.method, headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on(
        "end",
        () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") })
      )
      res.on("error", reject)
    })
    req.on("error", reject)
    req.end(body)
  })
}
