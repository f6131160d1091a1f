/**
 * The registry of every sink. Adding a sink is one file, one test and one argument here.
 *
 * @since 0.1.0
 */
import { Registry } from "@asrflow/core"
import type { Schema } from "effect"
import * as EvidenceSink from "./EvidenceSink.js"
import * as JsonlSink from "./JsonlSink.js"
import * as JsonSink from "./JsonSink.js"
import * as SrtSink from "./SrtSink.js"
import * as TextSink from "./TextSink.js"
import * as VttSink from "./VttSink.js"

/**
 * @since 0.1.0
 * @category components
 */
export const registry = Registry.make(
  TextSink.component,
  JsonSink.component,
  JsonlSink.component,
  SrtSink.component,
  VttSink.component,
  EvidenceSink.component
)

/**
 * The union of every sink's config, dispatched on `type`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Config: Schema.Schema<any, any> = Registry.configSchema(registry)
