/**
 * RFC 2397 data URIs, the inline audio form of the sync endpoints.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export type DataUri =
  | { readonly _tag: "Ok"; readonly mime: string; readonly bytes: Buffer; readonly encodedLength: number }
  | { readonly _tag: "Invalid"; readonly reason: string }
  | { readonly _tag: "TooLarge"; readonly encodedLength: number }

/**
 * Decodes a data URI. The size limit applies to the encoded payload, as the service documents.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decode = (uri: string, maxEncodedBytes: number): DataUri => {
  const comma = uri.indexOf(",")
  if (!uri.startsWith("data:") || comma < 0) return { _tag: "Invalid", reason: "malformed data URI" }
  const meta = uri.slice(5, comma)
  const payloadLength = uri.length - comma - 1
  if (payloadLength > maxEncodedBytes) return { _tag: "TooLarge", encodedLength: payloadLength }
  const parts = meta.split(";")
  const mime = (parts[0] ?? "").trim().toLowerCase()
  const base64 = parts.slice(1).some((p) => p.trim().toLowerCase() === "base64")
  const payload = uri.slice(comma + 1)
  if (base64) {
    if (!/^[A-Za-z0-9+/\-_]*={0,2}$/.test(payload.length > 4096 ? payload.slice(0, 4096) : payload)) {
      return { _tag: "Invalid", reason: "invalid base64 payload" }
    }
    return { _tag: "Ok", mime, bytes: Buffer.from(payload, "base64"), encodedLength: payloadLength }
  }
  try {
    return { _tag: "Ok", mime, bytes: Buffer.from(decodeURIComponent(payload), "latin1"), encodedLength: payloadLength }
  } catch {
    return { _tag: "Invalid", reason: "invalid percent-encoding" }
  }
}
