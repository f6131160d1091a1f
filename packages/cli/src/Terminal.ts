/**
 * Text for a terminal: file names and messages can hold line breaks, ANSI escape sequences or
 * bidirectional overrides that would rewrite what a person sees (a fake "done" line, a hidden name).
 * Every such character is shown as a visible escape instead.
 *
 * @since 0.2.0
 */

const named: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u001b": "\\e" }

/**
 * The text with control characters (C0, DEL, C1) and bidirectional controls escaped.
 *
 * @since 0.2.0
 * @category utils
 */
export const safe = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (char) =>
    named[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`)
