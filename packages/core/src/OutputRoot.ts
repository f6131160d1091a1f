/**
 * The one output-root rule: `--output-dir`, else the pipeline's `output_dir`, else
 * `${OUTPUT_DIR:-output}/<the provider's folder>`, made absolute. The provider supplies its folder
 * (`ProviderComponent.outputFolder`), so the default stays where its users expect it.
 *
 * @since 0.2.0
 */
import { Path } from "@effect/platform"
import { Clock, Config, Effect, Random } from "effect"
import type { ConfigError } from "effect"

/**
 * @since 0.2.0
 * @category constructors
 */
export const resolve = (options: {
  /** `--output-dir` or the library's `outputDir`. */
  readonly flag?: string | undefined
  /** The pipeline file's `output_dir`. */
  readonly pipeline?: string | undefined
  /** The provider's default folder under `OUTPUT_DIR`. */
  readonly providerFolder: string
}): Effect.Effect<string, ConfigError.ConfigError, Path.Path> =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const explicit = [options.flag, options.pipeline].find((dir) => dir !== undefined && dir !== "")
    if (explicit !== undefined) return path.resolve(explicit)
    const base = yield* Config.string("OUTPUT_DIR").pipe(Config.withDefault(""))
    return path.resolve(base === "" ? "output" : base, options.providerFolder)
  })

/**
 * A sortable, unique run id such as `20261126T134500Z-3f9a`, from the `Clock` and `Random` services.
 *
 * @since 0.2.0
 * @category constructors
 */
export const runId: Effect.Effect<string> = Effect.gen(function*() {
  const now = new Date(yield* Clock.currentTimeMillis)
  const suffix = (yield* Random.nextIntBetween(0, 0x10000)).toString(16).padStart(4, "0")
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${suffix}`
})
