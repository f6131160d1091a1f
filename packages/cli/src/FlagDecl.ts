/**
 * A command-line flag declared once: its option, the help group it is listed in, and its help line, so
 * that a command and its help are built from the same declaration (`CommandFlags`, `LedgerFlags`).
 *
 * @since 0.2.0
 */
import type { Options } from "@effect/cli"
import type * as Help from "./Help.js"

/**
 * A flag: its option, the help group it is listed in, and its help line.
 *
 * @since 0.2.0
 * @category models
 */
export interface Flag<A> {
  readonly option: Options.Options<A>
  readonly group: string
  readonly doc: Help.FlagDoc
}

/**
 * @since 0.2.0
 * @category constructors
 */
export const flag = <A>(group: string, option: Options.Options<A>, doc: Help.FlagDoc): Flag<A> => ({
  option,
  group,
  doc
})

/**
 * The options of a command's flags, by name, as `Command.make` takes them.
 *
 * @since 0.2.0
 * @category utils
 */
export const optionsOf = <F extends Record<string, Flag<any>>>(flags: F): { readonly [K in keyof F]: F[K]["option"] } =>
  Object.fromEntries(Object.entries(flags).map(([key, value]) => [key, value.option])) as {
    readonly [K in keyof F]: F[K]["option"]
  }

/**
 * A command's flags grouped for its help, in declaration order.
 *
 * @since 0.2.0
 * @category utils
 */
export const groupsOf = (flags: Record<string, Flag<any>>): Help.CommandDoc["groups"] => {
  const groups = new Map<string, Array<Help.FlagDoc>>()
  for (const { doc, group } of Object.values(flags)) groups.set(group, [...(groups.get(group) ?? []), doc])
  return [...groups]
}
