/**
 * The components a CLI knows. The built-in registries hold every component asrflow ships; a program
 * that embeds asrflow builds its own CLI with more (`Cli.make({ registries })`), without touching any
 * command. Adding a built-in component means one line in its package's registry.
 *
 * @since 0.1.0
 */
import { DidYouMean, Sources } from "@asrflow/core"
import type { Component, Pipeline, PipelineConfig, RunContext } from "@asrflow/core"
import { Providers } from "@asrflow/providers"
import { Sinks } from "@asrflow/sinks"
import { Effect } from "effect"
import { CliExit } from "./CliExit.js"

/**
 * @since 0.1.0
 * @category components
 */
export const builtIn: PipelineConfig.Registries = {
  sources: Sources.registry,
  providers: Providers.registry,
  sinks: Sinks.registry
}

/**
 * A registered provider, with what it may require: the platform services the edge provides (the run's
 * context is not one of them: a provider is built before the run).
 *
 * @since 0.2.0
 * @category models
 */
export type Provider = Component.ProviderComponent<
  Component.Typed,
  Exclude<Pipeline.ComponentEnvironment, RunContext.RunContext>
>

/**
 * The provider a command names (`--provider`), or the first registered one (for the built-ins: qwen).
 *
 * @since 0.2.0
 * @category utils
 */
export const provider = (
  registries: PipelineConfig.Registries,
  type?: string | undefined
): Effect.Effect<Provider, CliExit> => {
  const known = registries.providers.types.join(", ")
  if (type === undefined) {
    const first = registries.providers.components[0]
    return first === undefined ?
      new CliExit({ code: 2, message: "asrflow: no provider is registered" }) :
      Effect.succeed(first)
  }
  const found = registries.providers.get(type)
  return found === undefined
    ? new CliExit({
      code: 2,
      message: `asrflow: unknown provider "${type}"${
        DidYouMean.suffix(type, registries.providers.types) || "."
      } Known providers: ${known}`
    })
    : Effect.succeed(found)
}
