/**
 * @since 0.2.0
 */
export * as Batcher from "./Batcher.js"

/**
 * @since 0.2.0
 */
export * as BatchJournal from "./BatchJournal.js"

/**
 * @since 0.1.0
 */
export * as Cancel from "./Cancel.js"

/**
 * @since 0.1.0
 */
export * as Credentials from "./Credentials.js"

/**
 * @since 0.2.0
 */
export * as DashScopeAccount from "./DashScopeAccount.js"

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
export * as FunAsrBatches from "./FunAsrBatches.js"

/**
 * @since 0.2.0
 */
export * as FunAsrConfig from "./FunAsrConfig.js"

/**
 * @since 0.2.0
 */
export * as FunAsrModels from "./FunAsrModels.js"

/**
 * @since 0.2.0
 */
export * as FunAsrProvider from "./FunAsrProvider.js"

/**
 * @since 0.2.0
 */
export * as FunAsrRequest from "./FunAsrRequest.js"

/**
 * @since 0.2.0
 */
export * as FunAsrResult from "./FunAsrResult.js"

/**
 * @since 0.2.0
 */
export * as FunAsrTranscriber from "./FunAsrTranscriber.js"

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
 * @since 0.2.0
 */
export * as OpenAiClient from "./OpenAiClient.js"

/**
 * @since 0.2.0
 */
export * as OpenAiConfig from "./OpenAiConfig.js"

/**
 * @since 0.2.0
 */
export * as OpenAiCredentials from "./OpenAiCredentials.js"

/**
 * @since 0.2.0
 */
export * as OpenAiProvider from "./OpenAiProvider.js"

/**
 * @since 0.2.0
 */
export * as OpenAiRateLimits from "./OpenAiRateLimits.js"

/**
 * @since 0.2.0
 */
export * as OpenAiResponse from "./OpenAiResponse.js"

/**
 * @since 0.2.0
 */
export * as OpenAiTranscriber from "./OpenAiTranscriber.js"

/**
 * @since 0.1.0
 */
export * as Providers from "./Providers.js"

/**
 * @since 0.1.0
 */
export * as QwenAsrAsync from "./QwenAsrAsync.js"

/**
 * @since 0.2.0
 */
export * as QwenAsrSplit from "./QwenAsrSplit.js"

/**
 * @since 0.1.0
 */
export * as QwenAsrSync from "./QwenAsrSync.js"

/**
 * @since 0.1.0
 */
export * as QwenConfig from "./QwenConfig.js"

/**
 * @since 0.2.0
 */
export * as QwenLongAudio from "./QwenLongAudio.js"

/**
 * @since 0.1.0
 */
export * as QwenProvider from "./QwenProvider.js"

/**
 * @since 0.2.0
 */
export * as QwenRequest from "./QwenRequest.js"

/**
 * @since 0.2.0
 */
export * as DashScopeLanes from "./DashScopeLanes.js"

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
