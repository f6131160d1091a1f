/**
 * The registries the commands of a CLI use. A module of its own, without the built-in components, so
 * that the command tree (and `--help`) loads none of them.
 *
 * @since 0.2.0
 */
import type { PipelineConfig } from "@asrflow/core"
import { Context } from "effect"

/**
 * @since 0.2.0
 * @category context
 */
export class CliRegistries extends Context.Tag("@asrflow/cli/CliRegistries")<
  CliRegistries,
  PipelineConfig.Registries
>() {}
