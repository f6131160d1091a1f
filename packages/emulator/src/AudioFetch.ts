/**
 * Fetching audio URLs. Only the loopback interface is reachable, so tests serve their own files.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { createWriteStream } from "node:fs"
import * as http from "node:http"
import { pipeline } from "node:stream/promises"

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"])

/**
 * Only a test's own static server on the loopback interface is reachable.
 *
 * @since 0.1.0
 * @category utils
 */
export const isReachable = (url: URL): boolean =>
  (url.protocol === "http:" || url.protocol === "https:") && LOCAL_HOSTS.has(url.hostname)

/**
 * @since 0.1.0
 * @category models
 */
export type Fetched =
  | { readonly _tag: "Ok"; readonly bytes: Buffer; readonly contentType: string | undefined }
  | { readonly _tag: "Failed"; readonly reason: string }
  | { readonly _tag: "TooLarge" }

const openLocal = (url: URL, redirects = 3): Promise<http.IncomingMessage> =>
  new Promise((resolve, reject) => {
    if (!isReachable(url) || url.protocol !== "http:") return reject(new Error(`unreachable host ${url.host}`))
    const request = http.get(url, { timeout: 30_000 }, (response) => {
      const status = response.statusCode ?? 0
      if (status >= 300 && status < 400 && response.headers.location !== undefined && redirects > 0) {
        response.resume()
        openLocal(new URL(response.headers.location, url), redirects - 1).then(resolve, reject)
        return
      }
      if (status !== 200) {
        response.resume()
        return reject(new Error(`HTTP ${status}`))
      }
      resolve(response)
    })
    request.on("timeout", () => request.destroy(new Error("timeout")))
    request.on("error", reject)
  })

/**
 * Downloads a local URL into memory, up to `maxBytes`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fetchToMemory = async (url: URL, maxBytes: number): Promise<Fetched> => {
  let response: http.IncomingMessage
  try {
    response = await openLocal(url)
  } catch (error) {
    return { _tag: "Failed", reason: String((error as Error).message) }
  }
  const chunks: Array<Buffer> = []
  let total = 0
  try {
    for await (const chunk of response) {
      total += (chunk as Buffer).length
      if (total > maxBytes) {
        response.destroy()
        return { _tag: "TooLarge" }
      }
      chunks.push(chunk as Buffer)
    }
  } catch (error) {
    return { _tag: "Failed", reason: String((error as Error).message) }
  }
  return { _tag: "Ok", bytes: Buffer.concat(chunks), contentType: response.headers["content-type"] }
}

/**
 * Downloads a local URL to a file, hashing while streaming.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fetchToFile = async (
  url: URL,
  file: string
): Promise<
  { readonly _tag: "Ok"; readonly sha256: string; readonly bytes: number } | {
    readonly _tag: "Failed"
    readonly reason: string
  }
> => {
  try {
    const response = await openLocal(url)
    const hash = createHash("sha256")
    let bytes = 0
    response.on("data", (chunk: Buffer) => {
      hash.update(chunk)
      bytes += chunk.length
    })
    await pipeline(response, createWriteStream(file))
    return { _tag: "Ok", sha256: hash.digest("hex"), bytes }
  } catch (error) {
    return { _tag: "Failed", reason: String((error as Error).message) }
  }
}
