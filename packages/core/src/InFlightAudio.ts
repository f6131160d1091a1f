/**
 * The audio bytes of the items in flight: a small local file as the run read it whole and hashed it, held from
 * the moment its item is about to be sent until the item's first transcription attempt ends (however it ends).
 *
 * A provider that sends a small file whole takes its bytes from here instead of reading the file a second time,
 * so the bytes sent are the bytes fingerprinted. It falls back to the file when the service is absent (the
 * Promise API, a library user's own layer) or has nothing for the item (a large file, a later retry round, a
 * second request of the same attempt).
 *
 * Memory stays bounded by the items in flight: the bytes go when taken, when the first attempt ends, and
 * otherwise with the item itself (they are held weakly, by the item the run probed).
 *
 * @since 0.3.0
 */
import { Context, Effect, Option } from "effect"
import type { AudioItem } from "./AudioItem.js"
import { Transcriber } from "./Transcriber.js"

/**
 * What a provider sees.
 *
 * @since 0.3.0
 * @category context
 */
export class InFlightAudio extends Context.Tag("@asrflow/core/InFlightAudio")<InFlightAudio, {
  /**
   * The whole file of this item (the very item the provider was given) as the run read and hashed it, handed
   * over once: a second call answers undefined. Undefined when nothing is held: read the file then.
   */
  readonly take: (item: AudioItem) => Uint8Array | undefined
}>() {}

/**
 * The run's side of the service: it holds an item's bytes, and lets them go when the item's attempt ends.
 *
 * @since 0.3.0
 * @category models
 */
export interface Holder {
  readonly service: InFlightAudio["Type"]
  /** Holds the bytes of an item about to be sent (the item the transcriber will be given). */
  readonly hold: (item: AudioItem, bytes: Uint8Array) => void
  /**
   * The transcriber whose every attempt lets its item's bytes go when it ends: only the first attempt finds
   * them, a later round reads the file.
   */
  readonly releasing: (transcriber: Transcriber.Service) => Transcriber.Service
}

/**
 * A holder for one run.
 *
 * @since 0.3.0
 * @category constructors
 */
export const make: Effect.Effect<Holder> = Effect.sync(() => {
  // weak: an item that ends before its attempt (a stop, a skip) takes its bytes with it
  const held = new WeakMap<AudioItem, Uint8Array>()
  const letGo = (item: AudioItem) => Effect.sync(() => held.delete(item))
  return {
    service: InFlightAudio.of({
      take: (item) => {
        const bytes = held.get(item)
        if (bytes !== undefined) held.delete(item)
        return bytes
      }
    }),
    hold: (item, bytes) => {
      held.set(item, bytes)
    },
    releasing: (transcriber) =>
      Transcriber.of({
        ...transcriber,
        transcribe: (item) =>
          held.has(item) ? Effect.ensuring(transcriber.transcribe(item), letGo(item)) : transcriber.transcribe(item)
      })
  }
})

/**
 * The bytes held for the item, when the context has the service and it holds them; else undefined.
 *
 * @since 0.3.0
 * @category utils
 */
export const take = (item: AudioItem): Effect.Effect<Uint8Array | undefined> =>
  Effect.map(
    Effect.serviceOption(InFlightAudio),
    (service) => Option.isSome(service) ? service.value.take(item) : undefined
  )
