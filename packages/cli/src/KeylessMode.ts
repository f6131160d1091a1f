/**
 * `--emulator`: runs against the embedded `@asrflow/emulator` instead of the real service, like
 * LocalStack does for AWS, so a newcomer can see the whole pipeline without a key. Each provider that
 * the emulator serves says which variables point it there (`ProviderComponent.emulator`).
 *
 * @since 0.1.0
 */
import type { PipelineConfig } from "@asrflow/core"
import { Emulator } from "@asrflow/emulator"
import { ConfigProvider, Console, Effect, Layer } from "effect"

/**
 * The environment overlay that points every registered provider with an emulator at a running one.
 *
 * @since 0.1.0
 * @category utils
 */
export const overlay = (
  registries: PipelineConfig.Registries,
  handle: { readonly origin: string; readonly apiKey: string }
): ConfigProvider.ConfigProvider => {
  const variables = new Map<string, string>()
  for (const component of registries.providers.components) {
    for (const [name, value] of component.emulator?.(handle) ?? []) variables.set(name, value)
  }
  return ConfigProvider.fromMap(variables).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))
}

/**
 * Starts the emulator for the scope of the command when `enabled`, and routes the providers to it;
 * otherwise leaves the environment alone.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  enabled: boolean,
  registries: PipelineConfig.Registries,
  options: { readonly quiet?: boolean } = {}
): Layer.Layer<never> =>
  enabled
    ? Layer.unwrapScoped(
      Effect.gen(function*() {
        const handle = yield* Emulator.make({})
        if (!options.quiet) {
          yield* Console.error(
            [
              `asrflow: --emulator: using the embedded emulator at ${handle.origin}.`,
              "asrflow: transcripts are SYNTHETIC (derived from each file's hash), not speech recognition.",
              "asrflow: drop --emulator and give the provider's key to use the real service."
            ].join("\n")
          )
        }
        return Layer.setConfigProvider(overlay(registries, handle))
      })
    )
    : Layer.empty
