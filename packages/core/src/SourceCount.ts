/**
 * How many entries a pipeline's sources list, for a progress total: each source counts itself when it can
 * without keeping its entries (`SourceComponent.count`), and is listed and counted otherwise.
 *
 * @since 0.3.0
 */
import { Effect, Stream } from "effect"
import type { ComponentEnvironment } from "./Pipeline.js"
import { componentFor } from "./Pipeline.js"
import type { PipelineConfig, Registries } from "./PipelineConfig.js"

/**
 * @since 0.3.0
 * @category constructors
 */
export const count = (
  config: PipelineConfig,
  registries: Registries
): Effect.Effect<number, never, ComponentEnvironment> =>
  Effect.reduce(
    config.sources,
    0,
    (total, source) =>
      Effect.flatMap(componentFor(registries.sources, source), (component) =>
        Effect.map(
          component.count === undefined ? Stream.runCount(component.make(source)) : component.count(source),
          (counted) => total + counted
        ))
  )
