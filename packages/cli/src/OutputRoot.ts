/**
 * Where a run writes: `--output-dir`, else the pipeline's `output_dir`, else
 * `${OUTPUT_DIR:-output}/aliyun-qwen-asr`.
 *
 * @since 0.1.0
 */
import { Path } from "@effect/platform"
import { Config, Effect } from "effect"

/**
 * @since 0.1.0
 * @category utils
 */
export const resolve = (flag: string | undefined, fromPipeline: string | undefined) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const base = yield* Config.string("OUTPUT_DIR").pipe(Config.withDefault("output"))
    return path.resolve(flag ?? fromPipeline ?? path.join(base, "aliyun-qwen-asr"))
  })

/**
 * A sortable, unique run id such as `20261126T134500Z-3f9a`.
 *
 * @since 0.1.0
 * @category utils
 */
export const makeRunId = (now: Date): string =>
  `${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${Math.random().toString(16).slice(2, 6)}`
