/**
 * The contract of every pluggable component: a `type`, one config schema, and a constructor.
 *
 * @since 0.1.0
 */
import type { ConfigError, Effect, Layer, Schema, Scope } from "effect"
import type { Entries } from "./AudioSource.js"
import type * as Credentials from "./Credentials.js"
import type { Ledger, Migrations } from "./Ledger.js"
import type * as ProviderCheck from "./ProviderCheck.js"
import type { Sink, SinkError } from "./Sink.js"
import type { Transcriber, TranscriptionError } from "./Transcriber.js"
import type { RequestOptions } from "./TranscribeRequest.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Typed {
  readonly type: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SourceComponent<C extends Typed = any, R = any> {
  readonly kind: "source"
  readonly type: C["type"]
  readonly description: string
  readonly config: Schema.Schema<C, any>
  readonly make: (config: C) => Entries<R>
  /** How many entries `make` gives, when the source can tell without keeping them (a progress total). */
  readonly count?: ((config: C) => Effect.Effect<number, never, R>) | undefined
}

/**
 * A provider is a plugin that owns everything provider-shaped: its config, its credentials, its checks,
 * its capability table (read by `check`), its ledger migrations and what it can do beyond transcribing.
 * `run`, `transcribe`, `validate`, `doctor` and `cancel` go through this interface only, so adding a
 * provider touches no command. See docs/ARCHITECTURE.md, "How to add a provider".
 *
 * @since 0.1.0
 * @category models
 */
export interface ProviderComponent<C extends Typed = any, R = any> {
  readonly kind: "provider"
  readonly type: C["type"]
  readonly description: string
  readonly config: Schema.Schema<C, any>
  /** The folder under `OUTPUT_DIR` (default `output`) a run writes to when no output directory is given. */
  readonly outputFolder: string
  /** Where the key comes from, in order. */
  readonly credentials: Credentials.Spec<R>
  /** Warnings about a config that `validate` and `transcribe` show: fields the model cannot honour, … */
  readonly check: (config: C) => ReadonlyArray<string>
  /** The raw `provider:` block for a one-shot request; it is decoded with `config`, so mistakes are usage errors. */
  readonly fromRequest: (request: RequestOptions) => Record<string, unknown>
  /** The transcriber, built once per run with the resolved key. */
  readonly layer: (
    config: C,
    credentials: Credentials.Resolved
  ) => Layer.Layer<Transcriber, TranscriptionError | ConfigError.ConfigError, R>
  /** One read-only call that proves the key, the endpoint and the connectivity. Never fails. */
  readonly doctor: (config: C, credentials: Credentials.Resolved) => Effect.Effect<ProviderCheck.Report, never, R>
  /** Cancels the provider's open remote jobs that the ledger knows (absent: the provider cannot cancel). */
  readonly cancel?:
    | ((
      config: C,
      credentials: Credentials.Resolved
    ) => Effect.Effect<ProviderCheck.CancelOutcome, TranscriptionError, R | Ledger>)
    | undefined
  /** Ledger migrations the provider owns (its JSON state, imports from older layouts). */
  readonly migrations?: Migrations | undefined
  /**
   * For `--emulator`: the variables that point this provider at an `@asrflow/emulator` serving at
   * `origin` with `apiKey` (absent: the provider has no emulator).
   */
  readonly emulator?:
    | ((endpoint: { readonly origin: string; readonly apiKey: string }) => ReadonlyMap<string, string>)
    | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SinkComponent<C extends Typed = any, R = any> {
  readonly kind: "sink"
  readonly type: C["type"]
  readonly description: string
  readonly config: Schema.Schema<C, any>
  readonly make: (config: C) => Effect.Effect<Sink.Service, SinkError, R | Scope.Scope>
}

/**
 * @since 0.1.0
 * @category models
 */
export type Any = SourceComponent | ProviderComponent | SinkComponent
