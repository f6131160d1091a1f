/**
 * DashScope regions and the base URLs of their native and OpenAI-compatible endpoints.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * @since 0.1.0
 * @category models
 */
export const Region = Schema.Literal("cn-beijing", "ap-southeast-1", "us-east-1").annotations({
  description: "The DashScope region. API keys are bound to a region: a Beijing key fails in Singapore and vice versa."
})

/**
 * @since 0.1.0
 * @category models
 */
export type Region = typeof Region.Type

/**
 * The classic host of each region. The US host is documented two ways: the English API reference (Jan 2026)
 * names `dashscope-intl.aliyuncs.com`, while the official US sample's code comment names `dashscope-
 * us.aliyuncs.com` (docs/PROTOCOL.md §2.1). We follow the sample; override with `base_url.native` or
 * `DASHSCOPE_HTTP_BASE_URL` if it proves wrong.
 */
const hosts: Readonly<Record<Region, string>> = {
  "cn-beijing": "https://dashscope.aliyuncs.com",
  "ap-southeast-1": "https://dashscope-intl.aliyuncs.com",
  "us-east-1": "https://dashscope-us.aliyuncs.com"
}

/**
 * The resolved base URLs. `native` ends in `/api/v1`; `compatible` ends in `/compatible-mode/v1` and is
 * absent where the region has no OpenAI-compatible mode (US).
 *
 * @since 0.1.0
 * @category models
 */
export interface BaseUrls {
  readonly native: string
  readonly compatible: string | undefined
}

const trimSlash = (url: string): string => url.replace(/\/+$/, "")

/**
 * Resolves the base URLs. Explicit overrides win over the region preset. When only the native base is
 * overridden, the compatible base is derived from the same host (so that pointing the native base at an
 * emulator never sends compatible calls to the real service), except in the US, which has none.
 *
 * @since 0.1.0
 * @category constructors
 */
export const baseUrls = (options: {
  readonly region: Region
  readonly httpBaseUrl?: string | undefined
  readonly compatibleBaseUrl?: string | undefined
}): BaseUrls => {
  const native = options.httpBaseUrl ? trimSlash(options.httpBaseUrl) : `${hosts[options.region]}/api/v1`
  const derivedCompatible = options.region === "us-east-1"
    ? undefined
    : `${native.replace(/\/api\/v1$/, "")}/compatible-mode/v1`
  const compatible = options.compatibleBaseUrl ? trimSlash(options.compatibleBaseUrl) : derivedCompatible
  return { native, compatible }
}

/**
 * Whether the region is the international (USD-priced) one.
 *
 * @since 0.1.0
 * @category guards
 */
export const isInternational = (region: Region): boolean => region !== "cn-beijing"
