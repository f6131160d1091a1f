/**
 * What the two DashScope provider families (`qwen` and `funasr`) share, because they share one account, one key and
 * one endpoint: the connection fields of their `provider:` blocks (region, workspace, base URLs), the request
 * policies (timeout, rate limit, polling, retries), and the variables that point them at `@asrflow/emulator`. The
 * client (`DashScopeClient`), the key lookup (`Credentials`), the temporary upload (`TempUpload`), the task
 * poller (`TaskPoller`), `doctor` (`Doctor`) and `cancel` (`Cancel`) are shared modules too.
 *
 * @since 0.2.0
 */
import * as Policies from "@asrflow/core/Policies"
import * as RetryPolicy from "@asrflow/core/RetryPolicy"
import type { RequestOptions } from "@asrflow/core/TranscribeRequest"
import { Schema } from "effect"
import { Region } from "./Regions.js"

/**
 * @since 0.2.0
 * @category schemas
 */
export class BaseUrl extends Schema.Class<BaseUrl>("DashScopeBaseUrl")({
  native: Schema.optional(Schema.String.annotations({
    description: "The native base URL, ending in /api/v1. Overrides DASHSCOPE_HTTP_BASE_URL and the region preset."
  })),
  compatible: Schema.optional(Schema.String.annotations({
    description:
      "The OpenAI-compatible base URL, ending in /compatible-mode/v1. Overrides DASHSCOPE_COMPATIBLE_BASE_URL."
  }))
}, { description: "Explicit base URLs (a proxy, a workspace host or the local emulator)." }) {}

/**
 * Where the account is: the region (keys are bound to one), a workspace, explicit base URLs.
 *
 * @since 0.2.0
 * @category schemas
 */
export const connectionFields = {
  region: Schema.optionalWith(Region, { default: () => "cn-beijing" as const }),
  workspace: Schema.optional(Schema.String.annotations({
    description: "A Model Studio workspace id, sent as X-DashScope-WorkSpace."
  })),
  base_url: Schema.optional(BaseUrl)
}

/**
 * How requests are made: the per-request timeout, the rate limit, task polling and retries.
 *
 * @since 0.2.0
 * @category schemas
 */
export const policyFields = {
  timeout_secs: Schema.optionalWith(Schema.Positive, { default: () => 120 }).annotations({
    description: "Per-request timeout, in seconds."
  }),
  rate_limit: Schema.optionalWith(Policies.RateLimitBlock, { default: () => "auto" as const }),
  poll: Schema.optionalWith(Policies.PollPolicy, { default: () => Schema.decodeSync(Policies.PollPolicy)({}) }),
  retry: Schema.optionalWith(RetryPolicy.RetryPolicy, { default: () => RetryPolicy.defaults })
}

/**
 * The decoded connection and policy fields, as every shared DashScope module reads them.
 *
 * @since 0.2.0
 * @category models
 */
export interface Connection {
  readonly region: Region
  readonly workspace?: string | undefined
  readonly base_url?: { readonly native?: string | undefined; readonly compatible?: string | undefined } | undefined
  readonly timeout_secs: number
  readonly retry: RetryPolicy.RetryPolicy
}

/**
 * The `poll` block of a one-shot request: the poll interval and the number of waits of the original helper.
 *
 * @since 0.2.0
 * @category utils
 */
export const pollOf = (request: RequestOptions): Record<string, number> | undefined => {
  const interval = request.poll_interval_secs
  return interval === undefined ? undefined : {
    initial_interval_ms: interval * 1000,
    max_interval_ms: interval * 1000,
    ...(request.max_waits === undefined ? {} : { timeout_secs: interval * request.max_waits })
  }
}

/**
 * The variables that point a DashScope provider at an `@asrflow/emulator` (`--emulator`).
 *
 * @since 0.2.0
 * @category utils
 */
export const emulator = (endpoint: { readonly origin: string; readonly apiKey: string }): ReadonlyMap<string, string> =>
  new Map([
    ["DASHSCOPE_API_KEY", endpoint.apiKey],
    ["DASHSCOPE_HTTP_BASE_URL", `${endpoint.origin}/api/v1`],
    ["DASHSCOPE_COMPATIBLE_BASE_URL", `${endpoint.origin}/compatible-mode/v1`]
  ])
