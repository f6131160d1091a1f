/**
 * The rate lanes of a DashScope account (docs/PROTOCOL.md §10, "Rate limits"), in the run's `RateController`,
 * for every family on it (qwen, Fun-ASR/Paraformer):
 * - per family and model, sync requests and async submits, at the pipeline's `rate_limit` (by default `auto`,
 *   starting from the model's documented limit or what an earlier run learned);
 * - per account, task queries at the documented 20 per second (§7.7), one lane whichever family asks;
 * - per account and model, upload policies at the documented 100 per second (§8.4).
 *
 * The two documented budgets keep 10 % of margin (starts are paced exactly, arrivals at the server jitter a
 * little); they back off on throttling (another program may share the account) and never go above it.
 *
 * @since 0.2.0
 */
import type { RateLimitBlock } from "@asrflow/core/Policies"
import { RateLimit } from "@asrflow/core/Policies"
import * as RateController from "@asrflow/core/RateController"
import { Effect } from "effect"

/**
 * Task queries per minute: the account's 20 per second, less 10 %.
 *
 * @since 0.2.0
 * @category constants
 */
export const queryPerMinute = (20 * 60) / 1.1

/**
 * Upload-policy requests per minute and model: 100 per second, less 10 %.
 *
 * @since 0.2.0
 * @category constants
 */
export const policyPerMinute = (100 * 60) / 1.1

/**
 * @since 0.2.0
 * @category models
 */
export interface Lanes {
  readonly sync: (model: string) => Effect.Effect<RateController.Lane>
  readonly submit: (model: string) => Effect.Effect<RateController.Lane>
  readonly query: Effect.Effect<RateController.Lane>
  readonly policy: (model: string) => Effect.Effect<RateController.Lane>
}

/**
 * The account-wide lanes' provider name: one budget, whichever family's client asks.
 *
 * @since 0.2.0
 * @category constants
 */
export const accountProvider = "dashscope"

/**
 * The lanes of one account (`client`), in the run's controller (or a fresh one outside a run).
 * `documented` is the family's documented request limit of a model, per minute.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  client: { readonly provider: string; readonly account: string; readonly region: string },
  rateLimit: RateLimitBlock,
  documented: (model: string) => number
): Effect.Effect<Lanes> =>
  Effect.map(RateController.fromContext, (controller) => {
    const key = (model: string, endpoint: string, provider = client.provider): RateController.LaneKey => ({
      provider,
      account: client.account,
      region: client.region,
      model,
      endpoint
    })
    const budget = (perMinute: number) => new RateLimit({ requests_per_minute: perMinute, adaptive: true })
    return {
      sync: (model) => controller.lane({ key: key(model, "sync"), rateLimit, documented: documented(model) }),
      submit: (model) => controller.lane({ key: key(model, "submit"), rateLimit, documented: documented(model) }),
      query: controller.lane({
        key: key("*", "query", accountProvider),
        rateLimit: budget(queryPerMinute),
        documented: queryPerMinute
      }),
      policy: (model) =>
        controller.lane({
          key: key(model, "policy", accountProvider),
          rateLimit: budget(policyPerMinute),
          documented: policyPerMinute
        })
    }
  })
