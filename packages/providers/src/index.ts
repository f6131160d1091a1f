/**
 * @since 0.1.0
 */
export * as Credentials from "./Credentials.js"

/**
 * @since 0.1.0
 */
export * as DashScopeClient from "./DashScopeClient.js"

/**
 * @since 0.1.0
 */
export * as Models from "./Models.js"

/**
 * @since 0.1.0
 */
export * as Regions from "./Regions.js"
