/**
 * The live region at the bottom of a terminal: a few lines redrawn in place, with the lines that must
 * stay (warnings, failures) printed above it. Its `Console` sends error output (which the logger writes
 * through) above the region, so nothing else on stderr tears it apart.
 *
 * The terminal work is `log-update`: it redraws only the lines that changed, clips to the terminal, and
 * erases its frame on demand (a line is printed above the region by erasing it, writing the line as it
 * is and redrawing). It writes nothing but the frames it is given and holds no other output back, so
 * the logger's lines pass through; a redirected stderr never gets a region at all (the progress prints
 * plain lines instead). `cli-progress` loses log lines off a TTY and `listr2` holds other output back
 * while it renders, which is why neither was chosen.
 *
 * @since 0.2.0
 */
import { Effect } from "effect"
import type { Console, Scope } from "effect"
import { createLogUpdate } from "log-update"

/**
 * @since 0.2.0
 * @category models
 */
export interface Region {
  /** Redraws the region with these lines. */
  readonly draw: (lines: ReadonlyArray<string>) => void
  /** Prints a line above the region, which stays on the screen. */
  readonly print: (text: string) => void
  /** A `Console` whose error output goes above the region (give it to the effects that run meanwhile). */
  readonly console: Console.Console
}

/**
 * A region on `stream` (a TTY) for the life of the scope; when the scope closes the region is erased, so
 * the last frame leaves nothing behind and what follows (the summary) starts on a clean line.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (stream: NodeJS.WriteStream): Effect.Effect<Region, never, Scope.Scope> =>
  Effect.gen(function*() {
    const region = yield* Effect.acquireRelease(
      Effect.sync(() => {
        // the cursor stays visible: a region killed mid-frame must not leave a terminal without one
        const update = createLogUpdate(stream, { showCursor: true })
        let last: ReadonlyArray<string> = []
        let open = true
        const draw = (lines: ReadonlyArray<string>) => {
          last = lines
          if (open && lines.length > 0) update(lines.join("\n"))
        }
        const print = (text: string) => {
          if (!open) {
            stream.write(`${text}\n`)
            return
          }
          // erased, the line written as it is (the terminal wraps it, so it copies as one line), redrawn
          update.clear()
          stream.write(`${text}\n`)
          if (last.length > 0) update(last.join("\n"))
        }
        const close = () => {
          open = false
          update.clear()
          update.done()
        }
        return { draw, print, close }
      }),
      (region) => Effect.sync(region.close)
    )
    const console = yield* Effect.console
    const print = (...args: ReadonlyArray<unknown>) => region.print(args.map(String).join(" "))
    return {
      draw: region.draw,
      print: region.print,
      console: {
        ...console,
        error: (...args) => Effect.sync(() => print(...args)),
        warn: (...args) => Effect.sync(() => print(...args)),
        unsafe: { ...console.unsafe, error: print, warn: print }
      }
    }
  })
