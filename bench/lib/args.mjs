// The benches' command line: `--name` flags and `--name value` options.
const args = process.argv.slice(2)

/** Whether `--name` was given. */
export const flag = (name) => args.includes(`--${name}`)

/** The value after `--name`, else `fallback`. */
export const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`)
  return index >= 0 && args[index + 1] !== undefined ? args[index + 1] : fallback
}
