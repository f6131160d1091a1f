/**
 * What a run says about sources that listed nothing: a warning per empty source, and an error when none
 * listed anything (a run that transcribed nothing is not a success).
 *
 * @since 0.3.0
 */
import type * as Component from "./Component.js"

/**
 * The warning for a source that yielded nothing: which one, and what it was given.
 *
 * @since 0.2.0
 * @category utils
 */
export const emptySource = (index: number, source: Component.Typed): string => {
  const { type, ...fields } = source as Component.Typed & Record<string, unknown>
  const given = Object.entries(fields).filter(([, value]) =>
    value !== undefined && !(Array.isArray(value) && value.length === 0)
  )
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(", ")
  return `sources[${index}] (${type}) matched nothing${given === "" ? "" : ` (${given})`}; check its paths and globs`
}

/**
 * The summary's error when no source yielded anything: a run that transcribed nothing is not a success.
 *
 * @since 0.2.0
 * @category utils
 */
export const nothingMatched =
  "no source matched any recording, so nothing was transcribed; check the sources' paths and globs"
