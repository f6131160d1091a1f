/**
 * Explicit registries of components. The pipeline file's schema is derived from them.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type * as Component from "./Component.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Registry<A extends Component.Any> {
  readonly components: ReadonlyArray<A>
  readonly types: ReadonlyArray<string>
  readonly get: (type: string) => A | undefined
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = <const Components extends ReadonlyArray<Component.Any>>(
  ...components: Components
): Registry<Components[number]> => {
  const byType = new Map<string, Components[number]>()
  for (const component of components) {
    if (byType.has(component.type)) {
      throw new Error(`Duplicate ${component.kind} component type "${component.type}"`)
    }
    byType.set(component.type, component)
  }
  return { components, types: [...byType.keys()], get: (type) => byType.get(type) }
}

/**
 * The union of every component's config schema. An empty registry accepts nothing.
 *
 * @since 0.1.0
 * @category schemas
 */
export const configSchema = <A extends Component.Any>(registry: Registry<A>): Schema.Schema<any, any> => {
  // Schema.Union of one member is that member, and of none is Never
  return Schema.Union(...registry.components.map((component) => component.config))
}
