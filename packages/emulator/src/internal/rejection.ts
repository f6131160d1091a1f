/**
 * A refused request before it is written in an endpoint's envelope: status, native code and message.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export interface Rejection {
  readonly status: number
  readonly code: string
  readonly message: string
}

/**
 * The generic 400 of DashScope (docs/PROTOCOL.md, Error codes).
 *
 * @since 0.1.0
 */
export const invalid = (message: string): Rejection => ({ status: 400, code: "InvalidParameter", message })

/**
 * @since 0.1.0
 */
export const isRejection = <A>(u: A | Rejection): u is Rejection =>
  typeof u === "object" && u !== null && "status" in u && "code" in u

/**
 * The message the service gives for a URL it cannot use.
 *
 * @since 0.1.0
 */
export const INVALID_URL = "The provided URL does not appear to be valid. Ensure it is correctly formatted."
