/**
 * The registry of provider components: the only file touched when a provider is added.
 *
 * @since 0.1.0
 */
import * as Registry from "@asrflow/core/Registry"
import * as FunAsrProvider from "./FunAsrProvider.js"
import * as OpenAiProvider from "./OpenAiProvider.js"
import * as QwenProvider from "./QwenProvider.js"

/**
 * @since 0.1.0
 * @category components
 */
export const registry = Registry.make(QwenProvider.component, FunAsrProvider.component, OpenAiProvider.component)
