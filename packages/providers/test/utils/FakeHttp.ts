import { HttpClient, HttpClientResponse } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import { Clock, Effect, Layer, Ref } from "effect"

export interface Recorded {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: unknown
  /** Clock time (ms) at which the request was sent (the TestClock in tests). */
  readonly at: number
}

const bodyOf = (request: HttpClientRequest.HttpClientRequest): unknown => {
  if (request.body._tag === "Uint8Array") {
    const text = new TextDecoder().decode(request.body.body)
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return undefined
}

/** A fake HttpClient: `respond(request, n)` answers the n-th request (1-based); every request is recorded. */
export const make = (respond: (request: HttpClientRequest.HttpClientRequest, attempt: number) => Response) =>
  Effect.gen(function*() {
    const attempts = yield* Ref.make(0)
    const requests = yield* Ref.make<Array<Recorded>>([])
    const client = HttpClient.make((request, url) =>
      Ref.updateAndGet(attempts, (n) => n + 1).pipe(
        Effect.tap(() =>
          Effect.flatMap(Clock.currentTimeMillis, (at) =>
            Ref.update(requests, (all) => [...all, {
              method: request.method,
              url: url.toString(),
              headers: { ...request.headers },
              body: bodyOf(request),
              at: Number(at)
            }]))
        ),
        Effect.map((n) => HttpClientResponse.fromWeb(request, respond(request, n)))
      )
    )
    return { client, requests: Ref.get(requests), count: Ref.get(attempts) }
  })

export const layer = (respond: (request: HttpClientRequest.HttpClientRequest, attempt: number) => Response) =>
  Layer.effect(HttpClient.HttpClient, Effect.map(make(respond), (fake) => fake.client))

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } })

export const sse = (frames: ReadonlyArray<string>, status = 200) =>
  new Response(frames.join(""), { status, headers: { "content-type": "text/event-stream;charset=UTF-8" } })
