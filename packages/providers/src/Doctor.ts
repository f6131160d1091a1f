/**
 * `asrflow doctor` for the DashScope providers (qwen, funasr): proves the key, the region and connectivity with one read-only call
 * (`GET /api/v1/tasks/<random id>`, which answers `UNKNOWN`: docs/PROTOCOL.md §7.3). It never
 * shows the key, only where it came from.
 *
 * @since 0.1.0
 */
import type * as Credentials from "@asrflow/core/Credentials"
import type * as ProviderCheck from "@asrflow/core/ProviderCheck"
import type { HttpClient } from "@effect/platform"
import { Effect, Either } from "effect"
import type { Connection } from "./DashScopeAccount.js"
import * as DashScopeClient from "./DashScopeClient.js"
import * as HttpTransport from "./HttpTransport.js"
import { unauthorizedHint } from "./internal/errors.js"
import { randomId } from "./internal/randomId.js"

/** The check is one small call: it should not wait as long as a transcription may. */
const timeoutMs = 15_000

/**
 * Runs the check. It never fails: every problem is a report with exit code 3.
 *
 * @since 0.2.0
 * @category constructors
 */
export const run = (
  config: Connection,
  credentials: Credentials.Resolved
): Effect.Effect<ProviderCheck.Report, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const keySource = credentials.source
    const region = config.region
    const built = yield* Effect.either(
      DashScopeClient.fromConfig(config, credentials.key, { timeoutMs, provider: "doctor" })
    )
    if (Either.isLeft(built)) {
      return {
        ok: false,
        exitCode: 3,
        facts: [["key", keySource], ["region", region]],
        message: `unexpected: the base URL settings cannot be read (${built.left.message})`
      } satisfies ProviderCheck.Report
    }
    const client = built.right
    const baseUrl = client.baseUrls.native
    const facts: Array<readonly [string, string]> = [["key", keySource], ["region", region], ["endpoint", baseUrl]]
    const taskId = yield* randomId
    const result = yield* Effect.either(client.getTask(taskId, { input: `GET /tasks/${taskId}` }))
    const report = (
      ok: boolean,
      message: string,
      requestId: string | undefined,
      transient = false
    ): ProviderCheck.Report => ({
      ok,
      exitCode: ok ? 0 : 3,
      facts: requestId === undefined ? facts : [...facts, ["request id", requestId]],
      message,
      transient
    })
    if (Either.isRight(result)) {
      const status = result.right.value.output.task_status
      return status === "UNKNOWN"
        ? report(
          true,
          `ok: the key from ${keySource} works in ${region} (${baseUrl}); a random task id answered UNKNOWN`,
          result.right.requestId
        )
        : report(false, `unexpected: a random task id answered ${status}`, result.right.requestId)
    }
    const error = result.left
    switch (error.reason) {
      case "Unauthorized":
        return report(
          false,
          `unauthorized: ${unauthorizedHint}. The key came from ${keySource}; the region is ${region} (${baseUrl}).`,
          error.requestId
        )
      case "Forbidden":
        return report(
          false,
          `forbidden: the key from ${keySource} is valid but lacks access (${
            error.code ?? "AccessDenied"
          }); check the workspace and that the model is activated`,
          error.requestId
        )
      case "Transport":
      case "Timeout":
        return report(
          false,
          `unreachable: no connection to ${baseUrl} (${
            HttpTransport.networkFailure(error.cause) ?? error.description ?? error.reason
          }); check the network, a proxy, the base URL or --region`,
          error.requestId
        )
      case "QuotaExhausted":
        return report(false, `out of quota: ${error.description ?? error.message}`, error.requestId)
      case "Throttled":
      case "ServerError":
        return report(false, `the service answered ${error.message}; it may pass`, error.requestId, true)
      default:
        return error.status === 404
          ? report(false, `not found: ${error.description ?? error.message}`, error.requestId)
          : report(false, `unexpected answer: ${error.message}`, error.requestId, true)
    }
  })
