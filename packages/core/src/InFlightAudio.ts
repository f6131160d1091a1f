/**
 * The audio bytes of the items in flight: a small local file as the run read it whole and hashed it, held from
 * the moment its item is about to be sent until the item's first transcription attempt ends (however it ends).
 *
 * A provider that sends a small file whole takes its bytes from here instead of reading the file a second time,
 * so the bytes sent are the bytes fingerprinted. It falls back to the file when the service is absent (the
 * Promise API, a library user's own layer) or has nothing for the item (a large file, a later retry round, a
 * second request of the same attempt).
 *
 * Memory stays bounded by the items in flight: the bytes go when taken, when the item starts to wait on a remote
 * task (a resumed task it re-attaches to may run for hours), and when the first attempt ends.
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
  /** Lets the bytes of an item go: it waits on a remote task, which has the audio already. */
  readonly letGo: (itemId: string) => void
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
  // by id, with the very item held: another item of the same id (a later round's copy) finds nothing
  const held = new Map<string, { readonly item: AudioItem; readonly bytes: Uint8Array }>()
  const letGo = (itemId: string) => {
    held.delete(itemId)
  }
  return {
    service: InFlightAudio.of({
      take: (item) => {
        const entry = held.get(item.id)
        if (entry === undefined || entry.item !== item) return undefined
        held.delete(item.id)
        return entry.bytes
      }
    }),
    hold: (item, bytes) => {
      held.set(item.id, { item, bytes })
    },
    letGo,
    releasing: (transcriber) =>
      Transcriber.of({
        ...transcriber,
        transcribe: (item) =>
          held.has(item.id)
            ? Effect.ensuring(transcriber.transcribe(item), Effect.sync(() => letGo(item.id)))
            : transcriber.transcribe(item)
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
