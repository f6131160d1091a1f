/**
 * Random identifiers from the `Random` service (object keys, multipart boundaries, probe task ids).
 *
 * @since 0.2.0
 */
import { Effect, Random } from "effect"

const hex = (value: number, digits: number) => value.toString(16).padStart(digits, "0")

/** A random (version 4) UUID, such as `3f9a…-…-4…-…`: 122 random bits. */
export const randomId: Effect.Effect<string> = Effect.map(
  Effect.all(Array.from({ length: 8 }, () => Random.nextIntBetween(0, 0x10000))),
  ([a, b, c, d, e, f, g, h]) =>
    `${hex(a!, 4)}${hex(b!, 4)}-${hex(c!, 4)}-${hex(0x4000 | (d! & 0x0fff), 4)}-${hex(0x8000 | (e! & 0x3fff), 4)}-${
      hex(f!, 4)
    }${hex(g!, 4)}${hex(h!, 4)}`
)
