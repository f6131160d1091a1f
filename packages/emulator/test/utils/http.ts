import type { StartedEmulator } from "@asrflow/emulator/Emulator"
import * as http from "node:http"

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: any
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export const request = async (
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}
): Promise<Reply> => {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) })
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, json: parse(text) }
}

export const client = (emulator: StartedEmulator) => {
  const auth = { authorization: `Bearer ${emulator.apiKey}`, "content-type": "application/json" }
  return {
    compatible: (body: unknown, headers: Record<string, string> = {}) =>
      request(`${emulator.compatibleBaseUrl}/chat/completions`, { body, headers: { ...auth, ...headers } }),
    native: (body: unknown, headers: Record<string, string> = {}) =>
      request(`${emulator.nativeBaseUrl}/services/aigc/multimodal-generation/generation`, {
        body,
        headers: { ...auth, ...headers }
      }),
    submit: (body: unknown, headers: Record<string, string> = { "x-dashscope-async": "enable" }) =>
      request(`${emulator.nativeBaseUrl}/services/audio/asr/transcription`, { body, headers: { ...auth, ...headers } }),
    task: (id: string, method = "GET") => request(`${emulator.nativeBaseUrl}/tasks/${id}`, { method, headers: auth }),
    cancel: (id: string) => request(`${emulator.nativeBaseUrl}/tasks/${id}/cancel`, { method: "POST", headers: auth }),
    list: (query = "") => request(`${emulator.nativeBaseUrl}/tasks${query}`, { headers: auth }),
    policy: (model: string) =>
      request(`${emulator.nativeBaseUrl}/uploads?action=getPolicy&model=${encodeURIComponent(model)}`, {
        headers: auth
      }),
    get: (url: string, headers: Record<string, string> = {}) => request(url, { headers }),
    /** `POST /v1/audio/transcriptions` with a multipart form (arrays as `name[]`, as the OpenAI SDKs send them). */
    transcribe: async (
      fields: Record<string, string | ReadonlyArray<string>>,
      file?: { readonly name: string; readonly bytes: Buffer; readonly type?: string }
    ) => {
      const form = new FormData()
      for (const [name, value] of Object.entries(fields)) {
        for (const one of typeof value === "string" ? [value] : value) form.append(name, one)
      }
      if (file !== undefined) {
        form.append("file", new Blob([new Uint8Array(file.bytes)], { type: file.type ?? "audio/wav" }), file.name)
      }
      const response = await fetch(`${emulator.origin}/v1/audio/transcriptions`, {
        method: "POST",
        headers: { authorization: auth.authorization },
        body: form
      })
      const text = await response.text()
      return { status: response.status, headers: response.headers, text, json: parse(text) } as Reply
    }
  }
}

export const compatBody = (audio: string, extra: Record<string, unknown> = {}, model = "qwen3-asr-flash") => ({
  model,
  messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: audio } }] }],
  ...extra
})

export const nativeBody = (audio: string, parameters?: Record<string, unknown>, model = "qwen3-asr-flash") => ({
  model,
  input: { messages: [{ role: "user", content: [{ audio }] }] },
  ...(parameters === undefined ? {} : { parameters })
})

/** Parses `data: …` SSE (compatible mode) into JSON payloads; `[DONE]` is kept as a string. */
export const compatEvents = (text: string): Array<any> =>
  text.split("\n\n").filter((e) => e.length > 0).map((e) => {
    const data = e.replace(/^data: /, "")
    return data === "[DONE]" ? data : JSON.parse(data)
  })

/** Parses DashScope native SSE into `{id, event, status, data}`. */
export const nativeEvents = (text: string): Array<{ id: string; event: string; status: string; data: any }> =>
  text.split("\n\n").filter((e) => e.length > 0).map((e) => {
    const lines = e.split("\n")
    const field = (prefix: string) => lines.find((l) => l.startsWith(prefix))?.slice(prefix.length) ?? ""
    return {
      id: field("id:"),
      event: field("event:"),
      status: field(":HTTP_STATUS/"),
      data: JSON.parse(field("data:"))
    }
  })

/**
 * Polls until `check` holds (a condition the emulator reaches on its own, such as a request parked on its clock);
 * the bound only turns a hang into a clear failure.
 */
export const until = async (what: string, check: () => Promise<boolean> | boolean, boundMs = 60_000) => {
  const deadline = Date.now() + boundMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Waits until `n` answers are parked on the emulator clock. */
export const parked = (emulator: StartedEmulator, n: number) =>
  until(`${n} answers waiting for the emulator clock`, async () => (await emulator.report()).clock_waiters === n)

/** A static file server on 127.0.0.1 (the only host the emulator fetches from): path → bytes, else 404. */
export const serveFiles = async (files: Record<string, Buffer>) => {
  const server = http.createServer((req, res) => {
    const body = files[req.url ?? ""]
    if (body === undefined) return void res.writeHead(404).end()
    res.writeHead(200, { "content-length": body.length }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    base: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
