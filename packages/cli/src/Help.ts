/**
 * The help people read: one line per flag with its default, grouped, at most 100 columns, and a few
 * examples per command. `@effect/cli` renders a paragraph per flag (and every usage on one line), so
 * `asrflow` renders its own help from the same descriptors its commands are built from (`Cli.ts` keeps
 * each flag's help next to its option): the two cannot drift apart.
 *
 * @since 0.2.0
 */

/**
 * One flag's line.
 *
 * @since 0.2.0
 * @category models
 */
export interface FlagDoc {
  /** As typed, with its value: `-c, --concurrency N`. */
  readonly flag: string
  readonly text: string
  /** Shown as `(default: …)`; absent for switches and for flags without one. */
  readonly default?: string | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export interface CommandDoc {
  readonly name: string
  readonly summary: string
  readonly usage: ReadonlyArray<string>
  /** Paragraphs after the usage (what the arguments are). */
  readonly notes?: ReadonlyArray<string> | undefined
  readonly groups: ReadonlyArray<readonly [title: string, flags: ReadonlyArray<FlagDoc>]>
  readonly examples: ReadonlyArray<readonly [command: string, what: string]>
}

/**
 * The widest line help prints.
 *
 * @since 0.2.0
 * @category constants
 */
export const width = 100

/**
 * The flags every command takes.
 *
 * @since 0.2.0
 * @category constants
 */
export const globalFlags: ReadonlyArray<FlagDoc> = [
  { flag: "    --log-level LEVEL", text: "all, trace, debug, info, warning, error, fatal, none", default: "info" },
  { flag: "-h, --help", text: "show help for asrflow or for the command" },
  { flag: "    --version", text: "print asrflow's version" }
]

/** Wraps `text` at `width`, the lines after the first indented by `indent`. */
const wrap = (text: string, indent: number, first = 0): Array<string> => {
  const lines: Array<string> = []
  let line = ""
  let room = width - first
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > room) {
      lines.push(line)
      line = " ".repeat(indent) + word
      room = width
    } else {
      line = line === "" ? word : `${line} ${word}`
    }
  }
  if (line !== "") lines.push(line)
  return lines
}

const flagLines = (flags: ReadonlyArray<FlagDoc>, column: number): Array<string> =>
  flags.map((flag) => {
    const text = flag.default === undefined ? flag.text : `${flag.text} (default: ${flag.default})`
    return `  ${flag.flag.padEnd(column)}  ${text}`
  })

const examples = (list: CommandDoc["examples"]): Array<string> =>
  list.flatMap((
    [command, what]
  ) => [`  ${command}`, ...wrap(what, 6, 6).map((line, i) => i === 0 ? `      ${line}` : line)])

/**
 * The help of one command.
 *
 * @since 0.2.0
 * @category utils
 */
export const command = (doc: CommandDoc): string => {
  const groups = [...doc.groups, ["Global", globalFlags] as const]
  // a very long flag pushes its own text right rather than every line's
  const column = Math.min(24, Math.max(...groups.flatMap(([, flags]) => flags.map((flag) => flag.flag.length))))
  return [
    ...wrap(`asrflow ${doc.name}: ${doc.summary}`, 2),
    "",
    ...doc.usage.map((line, i) => `${i === 0 ? "Usage:" : "      "} ${line}`),
    ...(doc.notes ?? []).flatMap((note) => ["", ...wrap(note, 0)]),
    ...groups.flatMap(([title, flags]) => flags.length === 0 ? [] : ["", `${title}:`, ...flagLines(flags, column)]),
    "",
    "Examples:",
    ...examples(doc.examples),
    ""
  ].join("\n")
}

/**
 * The help of the whole CLI: its commands, the global flags, examples and the exit codes.
 *
 * @since 0.2.0
 * @category utils
 */
export const overview = (
  version: string,
  commands: ReadonlyArray<CommandDoc>,
  list: CommandDoc["examples"]
): string => {
  const column = Math.max(...commands.map((doc) => doc.name.length))
  const flagColumn = Math.max(...globalFlags.map((flag) => flag.flag.length))
  return [
    `asrflow ${version}: batch speech transcription (Alibaba Cloud Qwen ASR and other providers)`,
    "",
    "Usage: asrflow <command> [flags]      asrflow <command> --help for its flags and examples",
    "",
    "Commands:",
    ...commands.map((doc) => `  ${doc.name.padEnd(column)}  ${doc.summary}`),
    "",
    "Global flags:",
    ...flagLines(globalFlags, flagColumn),
    "",
    "Examples:",
    ...examples(list),
    "",
    "Exit codes: 0 all done, 1 some items failed, 2 usage or pipeline error, 3 key or connectivity error,",
    "            130 stopped by SIGINT (Ctrl-C), 143 stopped by SIGTERM",
    ""
  ].join("\n")
}
