/**
 * `--emulator`: runs against the embedded DashScope emulator instead of the real service, like
 * LocalStack does for AWS, so a newcomer can see the whole pipeline without a key.
 *
 * @since 0.1.0
 */
import { Emulator } from "@asrflow/emulator"
import { ConfigProvider, Console, Effect, Layer } from "effect"

/**
 * The environment overlay that points the DashScope client at a running emulator.
 *
 * @since 0.1.0
 * @category utils
 */
export const overlay = (handle: Emulator.EmulatorHandle): ConfigProvider.ConfigProvider =>
  ConfigProvider.fromMap(
    new Map([
      ["DASHSCOPE_API_KEY", handle.apiKey],
      ["DASHSCOPE_HTTP_BASE_URL", handle.nativeBaseUrl],
      ["DASHSCOPE_COMPATIBLE_BASE_URL", handle.compatibleBaseUrl]
    ])
  ).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))

/**
 * Starts the emulator for the scope of the command when `enabled`, and routes the DashScope client
 * to it; otherwise leaves the environment alone.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (enabled: boolean, options: { readonly quiet?: boolean } = {}): Layer.Layer<never> =>
  enabled
    ? Layer.unwrapScoped(
      Effect.gen(function*() {
        const handle = yield* Emulator.make({})
        if (options.quiet) return Layer.setConfigProvider(overlay(handle))
        yield* Console.error(
          [
            `asrflow: --emulator: using the embedded DashScope emulator at ${handle.origin}.`,
            "asrflow: transcripts are SYNTHETIC (derived from each file's hash), not speech recognition.",
            "asrflow: set DASHSCOPE_API_KEY and drop --emulator to use Alibaba Cloud."
          ].join("\n")
        )
        return Layer.setConfigProvider(overlay(handle))
      })
    )
    : Layer.empty
