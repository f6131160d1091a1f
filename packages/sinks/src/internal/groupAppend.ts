/**
 * Appending to one file from many fibers at once (a group commit): a caller's text joins the batch written
 * next, and the caller returns once its batch is in the file, so a line is on disk before its item counts as
 * written. One writer at a time and no lock to queue on: behind a semaphore, 32 items in flight woke every
 * waiter on every release (about 17 wake-ups per line), which cost more than the line itself.
 *
 * @internal
 */
import { Deferred, Effect, FiberId } from "effect"

const encoder = new TextEncoder()

/** Returns `append`: the text goes to the file through `writeAll` in the order it was appended. */
export const make = <E>(writeAll: (bytes: Uint8Array) => Effect.Effect<void, E>) => {
  let pending: Array<string> = []
  let waiting: Array<Deferred.Deferred<void, E>> = []
  let writing = false
  // writes what is pending, batch after batch, until nothing is; each batch's callers get its outcome
  const drain: Effect.Effect<void> = Effect.suspend(() => {
    if (pending.length === 0) {
      writing = false
      return Effect.void
    }
    const text = pending.join("")
    const batch = waiting
    pending = []
    waiting = []
    return Effect.flatMap(Effect.exit(writeAll(encoder.encode(text))), (exit) => {
      for (const caller of batch) Deferred.unsafeDone(caller, exit)
      return drain
    })
  })
  return (text: string): Effect.Effect<void, E> =>
    Effect.suspend(() => {
      const written = Deferred.unsafeMake<void, E>(FiberId.none)
      pending.push(text)
      waiting.push(written)
      if (writing) return Deferred.await(written)
      writing = true
      // not interruptible: a batch is never cut off halfway, and no other caller is left waiting on it
      return Effect.zipRight(Effect.uninterruptible(drain), Deferred.await(written))
    })
}
