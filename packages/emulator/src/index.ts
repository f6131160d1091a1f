/**
 * @asrflow/emulator: a local DashScope Qwen ASR emulator for tests, examples and benchmarks.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as AudioAnalyzer from "./AudioAnalyzer.js"

/**
 * @since 0.1.0
 */
export * as AudioContent from "./AudioContent.js"

/**
 * @since 0.1.0
 */
export * as AudioDuration from "./AudioDuration.js"

/**
 * @since 0.1.0
 */
export * as AudioFormat from "./AudioFormat.js"

/**
 * @since 0.1.0
 */
export * as DataUri from "./DataUri.js"

/**
 * @since 0.1.0
 */
export * as Emulator from "./Emulator.js"

/**
 * @since 0.1.0
 */
export * as EmulatorConfig from "./EmulatorConfig.js"

/**
 * @since 0.1.0
 */
export * as Models from "./Models.js"

/**
 * @since 0.1.0
 */
export * as Report from "./Report.js"

/**
 * @since 0.1.0
 */
export * as Transcripts from "./Transcripts.js"

/**
 * @since 0.1.0
 */
export { startEmulator } from "./Emulator.js"
