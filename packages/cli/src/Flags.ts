/**
 * Flags that are checked like the pipeline file: the same bounds as its schema, and a message that names
 * the flag and what it takes (with "did you mean" for a set of values), printed by the command line's
 * usage error path (exit 2). The rules load on first use (`FlagRules`).
 *
 * @since 0.2.0
 */
import { HelpDoc, Options, ValidationError } from "@effect/cli"
import { Effect, Either } from "effect"
import type * as FlagRules from "./FlagRules.js"

const rules = Effect.promise(() => import("./FlagRules.js"))

const validated = <A>(name: string, rule: FlagRules.Rule, list: boolean) =>
  Options.text(name).pipe(
    Options.mapEffect((text) =>
      Effect.flatMap(rules, (module) => {
        const parts = list ? text.split(",").map((part) => part.trim()).filter((part) => part !== "") : [text]
        const checked = Either.all(parts.map((part) => module.check(name, rule, part)))
        return Either.match(checked, {
          onLeft: (message) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(message))),
          onRight: (values) => Effect.succeed((list ? values : values[0]) as A)
        })
      })
    )
  )

/**
 * An integer or number flag with the bounds of `rule` (`--concurrency` takes what `concurrency` takes).
 *
 * @since 0.2.0
 * @category constructors
 */
export const number = (name: string, rule: "concurrency" | "sampleRate" | "pollInterval" | "maxWaits") =>
  validated<number>(name, rule, false)

/**
 * A comma-separated list of values from a set.
 *
 * @since 0.2.0
 * @category constructors
 */
export const choices = <A extends string>(name: string, rule: "granularity" | "format") =>
  validated<ReadonlyArray<A>>(name, rule, true)
