/**
 * The `openai` provider plugin: any OpenAI-compatible `/v1/audio/transcriptions` server (OpenAI, Groq,
 * faster-whisper/speaches, vLLM). Its key comes from its own credentials (`OPENAI_API_KEY`), its server from
 * `base_url` or `OPENAI_BASE_URL`; `doctor` lists the server's models.
 *
 * @since 0.2.0
 */
import type { ProviderComponent } from "@asrflow/core/Component"
import type * as CoreCredentials from "@asrflow/core/Credentials"
import type * as ProviderCheck from "@asrflow/core/ProviderCheck"
import { Transcriber } from "@asrflow/core/Transcriber"
import type { RequestOptions } from "@asrflow/core/TranscribeRequest"
import { FileSystem, HttpClient } from "@effect/platform"
import type { Path } from "@effect/platform"
import { Config, Effect, Either, Layer, Option } from "effect"
import type { ConfigError } from "effect"
import * as OpenAiClient from "./OpenAiClient.js"
import * as OpenAiConfig from "./OpenAiConfig.js"
import * as OpenAiCredentials from "./OpenAiCredentials.js"
import * as OpenAiTranscriber from "./OpenAiTranscriber.js"

const defaultBaseUrl = "https://api.openai.com/v1"

/**
 * The server's base URL: the config's, else `OPENAI_BASE_URL`, else OpenAI's.
 *
 * @since 0.2.0
 * @category utils
 */
export const baseUrlOf = (config: OpenAiConfig.OpenAiConfig): Effect.Effect<string, ConfigError.ConfigError> =>
  config.base_url !== undefined
    ? Effect.succeed(config.base_url)
    : Effect.map(Config.option(Config.string("OPENAI_BASE_URL")), Option.getOrElse(() => defaultBaseUrl))

const clientFor = (config: OpenAiConfig.OpenAiConfig, credentials: CoreCredentials.Resolved, timeoutMs: number) =>
  Effect.gen(function*() {
    return OpenAiClient.make({
      client: yield* HttpClient.HttpClient,
      fs: yield* FileSystem.FileSystem,
      baseUrl: yield* baseUrlOf(config),
      apiKey: credentials.key,
      timeoutMs
    })
  })

/**
 * The raw `provider:` block of a one-shot request: languages, context (as the prompt), timestamps (`sentence` is
 * a segment); the fields the API has no place for are passed on, so `check` warns about them.
 *
 * @since 0.2.0
 * @category utils
 */
export const fromRequest = (request: RequestOptions): Record<string, unknown> => {
  const raw: Record<string, unknown> = {
    type: "openai",
    model: request.model,
    language_hints: request.language_hints,
    context: request.context,
    timestamp_granularities: request.timestamp_granularities,
    enable_itn: request.enable_itn,
    vocabulary_id: request.vocabulary_id,
    disfluency_removal_enabled: request.disfluency_removal_enabled,
    channel_id: request.channel_id,
    sample_rate: request.sample_rate
  }
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined))
}

/**
 * The whole provider for a run: the server's client (with the resolved key) and the transcriber, its lanes in
 * the run's `RateController`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  config: OpenAiConfig.OpenAiConfig,
  credentials: CoreCredentials.Resolved
): Layer.Layer<Transcriber, ConfigError.ConfigError, HttpClient.HttpClient | FileSystem.FileSystem | Path.Path> =>
  Layer.effect(
    Transcriber,
    Effect.flatMap(
      clientFor(config, credentials, config.timeout_secs * 1000),
      (client) => Effect.map(OpenAiTranscriber.make(config, client), Transcriber.of)
    )
  )

/**
 * `asrflow doctor`: `GET {base}/models` proves the key, the server and connectivity. Never fails.
 *
 * @since 0.2.0
 * @category constructors
 */
export const doctor = (
  config: OpenAiConfig.OpenAiConfig,
  credentials: CoreCredentials.Resolved
): Effect.Effect<ProviderCheck.Report, never, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const built = yield* Effect.either(clientFor(config, credentials, 15_000))
    if (Either.isLeft(built)) {
      return {
        ok: false,
        exitCode: 3,
        facts: [["key", credentials.source]],
        message: `unexpected: the base URL cannot be read (${built.left.message})`
      } satisfies ProviderCheck.Report
    }
    const client = built.right
    const facts: Array<readonly [string, string]> = [["key", credentials.source], ["endpoint", client.baseUrl]]
    const listed = yield* Effect.either(client.models(`GET ${client.baseUrl}/models`))
    if (Either.isRight(listed)) {
      const served = listed.right.includes(config.model)
      return {
        ok: true,
        exitCode: 0,
        facts: [...facts, ["models", String(listed.right.length)]],
        message: `ok: ${client.baseUrl} answered with ${listed.right.length} model(s)${
          served ? `, ${config.model} among them` : listed.right.length > 0 ? `; ${config.model} is not listed` : ""
        }`
      }
    }
    const error = listed.left
    const message = error.reason === "Unauthorized"
      ? `unauthorized: ${client.baseUrl} rejected the key from ${credentials.source}`
      : error.reason === "Transport" || error.reason === "Timeout"
      ? `unreachable: no connection to ${client.baseUrl} (${error.description ?? error.reason}); check base_url`
      : `unexpected answer: ${error.message}`
    return { ok: false, exitCode: 3, facts, message }
  })

/** The variables that point the provider at an `@asrflow/emulator` (`--emulator`). */
const emulator = (endpoint: { readonly origin: string; readonly apiKey: string }): ReadonlyMap<string, string> =>
  new Map([["OPENAI_API_KEY", endpoint.apiKey], ["OPENAI_BASE_URL", `${endpoint.origin}/v1`]])

/**
 * The registry descriptor.
 *
 * @since 0.2.0
 * @category components
 */
export const component: ProviderComponent<
  OpenAiConfig.OpenAiConfig,
  HttpClient.HttpClient | FileSystem.FileSystem | Path.Path
> = {
  kind: "provider",
  type: "openai",
  description: "Any OpenAI-compatible /v1/audio/transcriptions server (OpenAI, Groq, faster-whisper, vLLM)",
  config: OpenAiConfig.OpenAiConfig,
  outputFolder: "openai-transcriptions",
  credentials: OpenAiCredentials.spec,
  check: OpenAiConfig.warnings,
  fromRequest,
  layer,
  doctor,
  emulator
}
