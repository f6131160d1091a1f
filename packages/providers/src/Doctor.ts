/**
 * `asrflow doctor`: proves the key, the region and connectivity with one read-only call
 * (`GET /api/v1/tasks/<random uuid>`, which answers `UNKNOWN`). It never shows the key.
 *
 * @since 0.1.0
 */
import type { FileSystem, HttpClient, Path } from "@effect/platform"
import { Effect, Either } from "effect"
import type { Redacted } from "effect"
import * as Credentials from "./Credentials.js"
import * as DashScopeClient from "./DashScopeClient.js"
import { unauthorizedHint } from "./internal/errors.js"
import type { Region } from "./Regions.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Outcome = "ok" | "missing-key" | "unauthorized" | "forbidden" | "unreachable" | "unexpected"

/**
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly ok: boolean
  readonly outcome: Outcome
  /** Where the key came from (never the key itself). */
  readonly keySource: Credentials.KeySource | undefined
  readonly region: Region
  readonly baseUrl: string
  readonly requestId: string | undefined
  readonly message: string
  /** 0 when everything works, 3 for auth or connectivity problems. */
  readonly exitCode: 0 | 3
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly region?: Region | undefined
  readonly apiKey?: Redacted.Redacted<string> | string | undefined
  readonly workspace?: string | undefined
  /** Native base URL override; otherwise `DASHSCOPE_HTTP_BASE_URL`, then the region preset. */
  readonly httpBaseUrl?: string | undefined
  readonly timeoutMs?: number | undefined
}

/**
 * Runs the check. It never fails: every problem is an outcome in the report.
 *
 * @since 0.1.0
 * @category constructors
 */
export const run = (
  options: Options = {}
): Effect.Effect<Report, never, HttpClient.HttpClient | FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const region = options.region ?? "cn-beijing"
    const env = yield* DashScopeClient.envBaseUrls.pipe(
      Effect.orElseSucceed(() => ({ httpBaseUrl: undefined, compatibleBaseUrl: undefined }))
    )
    const httpBaseUrl = options.httpBaseUrl ?? env.httpBaseUrl
    const resolved = yield* Effect.either(Credentials.resolveApiKey(options.apiKey))
    const report = (fields: Omit<Report, "region" | "baseUrl" | "ok" | "exitCode">, baseUrl: string): Report => ({
      ...fields,
      ok: fields.outcome === "ok",
      exitCode: fields.outcome === "ok" ? 0 : 3,
      region,
      baseUrl
    })
    if (Either.isLeft(resolved)) {
      return report({
        outcome: "missing-key",
        keySource: undefined,
        requestId: undefined,
        message: resolved.left.message
      }, httpBaseUrl ?? "(not contacted)")
    }
    const client = yield* DashScopeClient.make({
      apiKey: resolved.right.key,
      region,
      workspace: options.workspace,
      httpBaseUrl,
      timeoutMs: options.timeoutMs ?? 15_000,
      provider: "doctor"
    })
    const keySource = resolved.right.source
    const baseUrl = client.baseUrls.native
    const taskId = crypto.randomUUID()
    const result = yield* Effect.either(client.getTask(taskId, { input: `GET /tasks/${taskId}` }))
    if (Either.isRight(result)) {
      const status = result.right.value.output.task_status
      return report({
        outcome: status === "UNKNOWN" ? "ok" : "unexpected",
        keySource,
        requestId: result.right.requestId,
        message: status === "UNKNOWN"
          ? `ok: the key from ${keySource} works in ${region} (${baseUrl}); a random task id answered UNKNOWN`
          : `unexpected: a random task id answered ${status}`
      }, baseUrl)
    }
    const error = result.left
    const outcome: Outcome = error.reason === "Unauthorized"
      ? "unauthorized"
      : error.reason === "Forbidden"
      ? "forbidden"
      : error.reason === "Transport" || error.reason === "Timeout"
      ? "unreachable"
      : "unexpected"
    const message = outcome === "unauthorized"
      ? `unauthorized: ${unauthorizedHint}. The key came from ${keySource}; the region is ${region} (${baseUrl}).`
      : outcome === "forbidden"
      ? `forbidden: the key from ${keySource} is valid but lacks access (${
        error.code ?? "AccessDenied"
      }); check the workspace and that the model is activated`
      : outcome === "unreachable"
      ? `unreachable: no connection to ${baseUrl} (${
        error.description ?? error.reason
      }); check the network, a proxy, or --region`
      : `unexpected answer: ${error.message}`
    return report({ outcome, keySource, requestId: error.requestId, message }, baseUrl)
  })
