/**
 * Maps DashScope failures (HTTP status + `code`, in both envelopes) to core `TranscriptionError`s.
 *
 * @since 0.1.0
 */
import { TranscriptionError } from "@asrflow/core/Transcriber"
import type { TranscriptionErrorReason } from "@asrflow/core/Transcriber"
import { Schema } from "effect"
import { ErrorBody } from "./schemas.js"

/** Codes that mean the account is out of quota or money: never retried, whatever the status. */
const quotaCodes: ReadonlySet<string> = new Set([
  "Throttling.AllocationQuota",
  "insufficient_quota",
  "PrepaidBillOverdue",
  "PostpaidBillOverdue",
  "CommodityNotPurchased",
  "Arrearage"
])

export const unauthorizedHint =
  "the API key was rejected (keys are bound to a region: a Beijing key fails in Singapore and the other way round; check --region / provider.region)"

/**
 * A 404 that is not about a model means the request went to the wrong place: a base URL without its
 * path, or a region whose host does not serve it.
 */
export const notFoundHint = "the endpoint answered 404 Not Found: the base URL or the region is wrong (check " +
  "--region / provider.region and DASHSCOPE_HTTP_BASE_URL / DASHSCOPE_COMPATIBLE_BASE_URL / provider.base_url; " +
  "a native base URL ends in /api/v1, a compatible one in /compatible-mode/v1)"

const isModelCode = (code: string | undefined): boolean => code !== undefined && /model/i.test(code)

const byCode = (code: string): TranscriptionErrorReason | undefined => {
  if (quotaCodes.has(code)) return "QuotaExhausted"
  if (code === "InvalidApiKey" || code === "invalid_api_key") return "Unauthorized"
  if (code.startsWith("AccessDenied") || code.endsWith(".AccessDenied") || code === "AllocationQuota.FreeTierOnly") {
    return "Forbidden"
  }
  if (code === "RequestTimeOut") return "Timeout"
  if (code.startsWith("Throttling") || code === "LimitRequests" || code === "limit_requests") return "Throttled"
  if (code === "BadRequest.UnsupportedFileFormat" || code === "BadRequest.InputDownloadFailed") return "InvalidAudio"
  if (
    code.startsWith("InternalError") || code === "SystemError" || code === "ModelServiceFailed" ||
    code === "ModelUnavailable" || code === "internal_error"
  ) return "ServerError"
  if (
    code.startsWith("InvalidParameter") || code.startsWith("BadRequest") || code === "DataInspectionFailed" ||
    code === "data_inspection_failed" || code === "InvalidURL" || code === "UnsupportedOperation" ||
    code.endsWith("NotFound") || code === "model_not_found" || code.startsWith("invalid_")
  ) return "InvalidRequest"
  return undefined
}

const byStatus = (status: number, code: string | undefined): TranscriptionErrorReason | undefined => {
  switch (status) {
    case 401:
      return "Unauthorized"
    case 403:
      return "Forbidden"
    case 408:
      return "Timeout"
    case 429:
      return "Throttled"
    case 415:
      return code === "BadRequest.UnsupportedFileFormat" || code === "BadRequest.InputDownloadFailed" || !code
        ? "InvalidAudio"
        : "InvalidRequest"
  }
  if (status >= 500) return "ServerError"
  if (status >= 400) return "InvalidRequest"
  return undefined
}

/** Chooses the reason: quota codes first, then the HTTP status, then the code (for in-stream errors). */
const reasonOf = (status: number | undefined, code: string | undefined): TranscriptionErrorReason => {
  if (code !== undefined && quotaCodes.has(code)) return "QuotaExhausted"
  const fromStatus = status === undefined ? undefined : byStatus(status, code)
  if (fromStatus !== undefined) return fromStatus
  const fromCode = code === undefined ? undefined : byCode(code)
  return fromCode ?? "ServerError"
}

const nonEmpty = (value: string | null | undefined): string | undefined =>
  value === null || value === undefined || value === "" ? undefined : value

/** Pulls `code`, `message` and `request_id` out of either envelope (or nothing from a non-JSON body). */
export const envelopeOf = (body: unknown): {
  readonly code: string | undefined
  readonly message: string | undefined
  readonly requestId: string | undefined
} => {
  const decoded = Schema.decodeUnknownOption(ErrorBody)(body)
  if (decoded._tag === "None") return { code: undefined, message: undefined, requestId: undefined }
  const envelope = decoded.value
  return {
    code: nonEmpty(envelope.error?.code) ?? nonEmpty(envelope.code) ?? nonEmpty(envelope.error?.type),
    message: nonEmpty(envelope.error?.message) ?? nonEmpty(envelope.message) ?? nonEmpty(envelope.msg),
    requestId: nonEmpty(envelope.request_id)
  }
}

/** Whether a parsed body is an error envelope rather than a result. */
export const isErrorEnvelope = (body: unknown): boolean =>
  typeof body === "object" && body !== null &&
  (("error" in body && (body as { error: unknown }).error !== null &&
    (body as { error: unknown }).error !== undefined) ||
    ("code" in body && typeof (body as { code: unknown }).code === "string" && !("output" in body) &&
      !("choices" in body)))

/** `Retry-After` as milliseconds: delta-seconds or an HTTP-date. */
export const parseRetryAfter = (value: string | undefined, nowMs: number): number | undefined => {
  if (value === undefined || value.trim() === "") return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/** Builds the error for a failed DashScope response. */
export const fromResponse = (params: {
  readonly provider: string
  readonly input: string
  readonly status: number | undefined
  readonly body: unknown
  readonly text?: string | undefined
  readonly headerRequestId?: string | undefined
  readonly retryAfterMs?: number | undefined
}): TranscriptionError => {
  const envelope = envelopeOf(params.body)
  const reason = reasonOf(params.status, envelope.code)
  const detail = envelope.message ?? (params.text ? params.text.slice(0, 300) : undefined)
  const description = reason === "Unauthorized"
    ? `${unauthorizedHint}${detail ? `; server said: ${detail}` : ""}`
    : reason === "QuotaExhausted"
    ? `the account is out of quota or credit (not retried)${detail ? `; server said: ${detail}` : ""}`
    : params.status === 404 && !isModelCode(envelope.code)
    ? `${notFoundHint}${detail ? `; server said: ${detail.replace(/\s+/g, " ").slice(0, 120)}` : ""}`
    : detail
  return new TranscriptionError({
    provider: params.provider,
    input: params.input,
    reason,
    ...(params.status !== undefined ? { status: params.status } : {}),
    ...(envelope.code !== undefined ? { code: envelope.code } : {}),
    ...(envelope.requestId ?? params.headerRequestId
      ? { requestId: (envelope.requestId ?? params.headerRequestId)! }
      : {}),
    ...(params.retryAfterMs !== undefined ? { retryAfterMs: params.retryAfterMs } : {}),
    ...(description !== undefined ? { description } : {})
  })
}

/**
 * Whether a refused request says the `oss://` object it named does not exist (any more): the upload was
 * lost or never stored. The service answers this with its invalid-URL message and the cause appended
 * (docs/PROTOCOL.md documents no exact answer).
 */
export const isMissingUpload = (error: TranscriptionError): boolean =>
  error.reason === "InvalidRequest" &&
  /oss resource does not exist|object does not exist|NoSuchKey/i.test(error.description ?? "")
