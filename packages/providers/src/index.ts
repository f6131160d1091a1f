/**
 * @since 0.1.0
 */
export * as Cancel from "./Cancel.js"

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
export * as Doctor from "./Doctor.js"

/**
 * @since 0.2.0
 */
export * as HttpTransport from "./HttpTransport.js"

/**
 * @since 0.2.0
 */
export * as LegacyLedger from "./LegacyLedger.js"

/**
 * @since 0.1.0
 */
export * as Models from "./Models.js"

/**
 * @since 0.1.0
 */
export * as Providers from "./Providers.js"

/**
 * @since 0.1.0
 */
export * as QwenAsrAsync from "./QwenAsrAsync.js"

/**
 * @since 0.1.0
 */
export * as QwenAsrSync from "./QwenAsrSync.js"

/**
 * @since 0.1.0
 */
export * as QwenConfig from "./QwenConfig.js"

/**
 * @since 0.1.0
 */
export * as QwenProvider from "./QwenProvider.js"

/**
 * @since 0.2.0
 */
export * as QwenRequest from "./QwenRequest.js"

/**
 * @since 0.3.0
 */
export * as QwenLanes from "./QwenLanes.js"

/**
 * @since 0.1.0
 */
export * as Regions from "./Regions.js"

/**
 * @since 0.2.0
 */
export * as ResultDocument from "./ResultDocument.js"

/**
 * @since 0.2.0
 */
export * as SubmitRecovery from "./SubmitRecovery.js"

/**
 * @since 0.2.0
 */
export * as SyncAnswer from "./SyncAnswer.js"

/**
 * @since 0.2.0
 */
export * as TaskJournal from "./TaskJournal.js"

/**
 * @since 0.1.0
 */
export * as TaskPoller from "./TaskPoller.js"

/**
 * @since 0.1.0
 */
export * as TempUpload from "./TempUpload.js"
