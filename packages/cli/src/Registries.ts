/**
 * Every component asrflow ships, in explicit registries. Adding a component means one line here.
 *
 * @since 0.1.0
 */
import { Sources } from "@asrflow/core"
import type { PipelineConfig } from "@asrflow/core"
import { Providers } from "@asrflow/providers"
import { Sinks } from "@asrflow/sinks"

/**
 * @since 0.1.0
 * @category components
 */
export const registries: PipelineConfig.Registries = {
  sources: Sources.registry,
  providers: Providers.registry,
  sinks: Sinks.registry
}
