/**
 * @since 0.1.0
 */
export * as AtomicFile from "./AtomicFile.js"

/**
 * @since 0.1.0
 */
export * as EvidenceSink from "./EvidenceSink.js"

/**
 * @since 0.1.0
 */
export * as JsonlSink from "./JsonlSink.js"

/**
 * @since 0.2.0
 */
export * as ItemSink from "./ItemSink.js"

/**
 * @since 0.1.0
 */
export * as JsonSink from "./JsonSink.js"

/**
 * @since 0.1.0
 */
export * as OutputLayout from "./OutputLayout.js"

/**
 * @since 0.1.0
 */
export * as RunLog from "./RunLog.js"

/**
 * @since 0.1.0
 */
export * as RunSummary from "./RunSummary.js"

/**
 * @since 0.1.0
 */
export * as Sinks from "./Sinks.js"

/**
 * @since 0.1.0
 */
export * as SrtSink from "./SrtSink.js"

/**
 * @since 0.1.0
 */
export * as TextSink from "./TextSink.js"

/**
 * @since 0.1.0
 */
export * as VttSink from "./VttSink.js"
