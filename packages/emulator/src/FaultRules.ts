/**
 * The schema of one injected fault (`faults[]` in `emulator.json`): which endpoint, what goes wrong, and which
 * requests it hits.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const NonNegative = Schema.Number.pipe(Schema.nonNegative())
const Ordinal = Schema.Int.pipe(Schema.positive())

/**
 * @since 0.1.0
 * @category schemas
 */
export const Endpoint = Schema.Literal(
  "sync",
  "native",
  "compatible",
  "submit",
  "task",
  "upload",
  "policy",
  "result",
  "transcriptions",
  "*"
)

/**
 * - `internal_error`: 500 `InternalError`; `model_unavailable`: 503 `ModelUnavailable`; `throttle`: 429.
 * - `error`: any `status` with `code` and `message`, in the endpoint's envelope.
 * - `reset`: headers and part of a body, then a TCP RST. `slow`: waits `slow_ms`, then answers normally.
 * - `truncate`: the real answer with its full Content-Length, cut after `truncate_at` of its body, then the
 *   connection is closed. On `upload` the object is not stored unless `keep_object`.
 * - `oss_missing`: the `oss://` object a request names is gone (deleted), so the request gets the
 *   resource-missing answer. It counts only requests that name an `oss://` object.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FaultKind = Schema.Literal(
  "internal_error",
  "model_unavailable",
  "reset",
  "slow",
  "throttle",
  "error",
  "truncate",
  "oss_missing"
)

/**
 * @since 0.1.0
 * @category schemas
 */
export const Fault = Schema.Struct({
  endpoint: Schema.optionalWith(Endpoint, { default: () => "*" as const }),
  kind: FaultKind,
  every: Schema.optional(Ordinal).annotations({
    description: "Fire on every N-th request to the endpoint (counted per fault)."
  }),
  probability: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))).annotations({
    description: "Fire with this probability (seeded PRNG)."
  }),
  at: Schema.optional(Schema.Array(Ordinal)).annotations({
    description: "Fire on exactly these requests to the endpoint: 1 is the first one this fault sees."
  }),
  from: Schema.optional(Ordinal).annotations({
    description: "Fire on every request from this one on (with `to`: up to that one, inclusive)."
  }),
  to: Schema.optional(Ordinal).annotations({ description: "Fire on every request up to this one, inclusive." }),
  limit: Schema.optional(Ordinal).annotations({ description: "Stop firing after this many injections." }),
  slow_ms: Schema.optionalWith(NonNegative, { default: () => 120_000 }).annotations({
    description: "How long a `slow` fault holds the response (emulator clock)."
  }),
  status: Schema.optional(Schema.Int.pipe(Schema.between(400, 599))).annotations({
    description: "The HTTP status of an `error` fault."
  }),
  code: Schema.optional(Schema.String).annotations({ description: "The code of an `error` fault." }),
  message: Schema.optional(Schema.String).annotations({ description: "The message of an `error` fault." }),
  retry_after_s: Schema.optional(Schema.NullOr(NonNegative)).annotations({
    description: "Retry-After of this fault's answers (null: none), instead of the rate_limits policy."
  }),
  truncate_at: Schema.optionalWith(Schema.Number.pipe(Schema.between(0, 0.99)), { default: () => 0.5 })
    .annotations({ description: "Where a `truncate` fault cuts the body, as a fraction of its bytes." }),
  keep_object: Schema.optionalWith(Schema.Boolean, { default: () => false }).annotations({
    description: "Whether an upload cut off by `truncate` is still stored."
  })
}).pipe(
  Schema.filter((fault) => fault.kind !== "error" || fault.status !== undefined || "an `error` fault needs a `status`")
)
