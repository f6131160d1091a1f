/**
 * asrflow's version, as published (help, `--version`, telemetry's service.version).
 *
 * @since 0.2.0
 */

/**
 * @since 0.2.0
 * @category constants
 */
export const version = "0.1.0"
