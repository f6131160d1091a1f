/**
 * The contract of every pluggable component: a `type`, one config schema, and a constructor.
 *
 * @since 0.1.0
 */
import type { ConfigError, Effect, Layer, Schema, Scope } from "effect"
import type { Entries } from "./AudioSource.js"
import type { Sink, SinkError } from "./Sink.js"
import type { Transcriber, TranscriptionError } from "./Transcriber.js"

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
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ProviderComponent<C extends Typed = any, R = any> {
  readonly kind: "provider"
  readonly type: C["type"]
  readonly description: string
  readonly config: Schema.Schema<C, any>
  /** Warnings about the config that `validate` shows (fields the chosen model cannot honour). */
  readonly check?: ((config: C) => ReadonlyArray<string>) | undefined
  readonly layer: (config: C) => Layer.Layer<Transcriber, TranscriptionError | ConfigError.ConfigError, R>
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
