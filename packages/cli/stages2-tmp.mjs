import { AudioItem, AudioProbe, Fingerprint, Ledger, Redact, RunContext, RunEvents, Transcript } from "@asrflow/core"
import { RunLog, TextSink } from "@asrflow/sinks"
import { QwenAsrSync, QwenConfig, DashScopeClient } from "@asrflow/providers"
import { startEmulator } from "../../bench/lib/emulator.mjs"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Effect, Layer, Redacted } from "effect"
import * as fs from "node:fs"
const dir = "/tmp/i12prof/w/audio"
const out = "/tmp/i12prof/stage-out"; fs.rmSync(out, { recursive: true, force: true }); fs.mkdirSync(out)
const files = fs.readdirSync(dir).slice(0, 500).map((f) => `${dir}/${f}`)
const items = files.map((f, i) => new AudioItem.AudioItem({ id: f, source: f, kind: "file", outputKey: `k${i}`, origin: "files" }))
const ctx = Layer.succeed(RunContext.RunContext, { baseDir: out, outputRoot: out, runId: "r1", startedAt: new Date() })
const base = Layer.mergeAll(NodeContext.layer, ctx, Redact.layer(["sk-emulator"]), AudioProbe.AudioProbe.Default.pipe(Layer.provide(NodeContext.layer)))
const ledger = Ledger.layer().pipe(Layer.provide(SqliteClient.layer({ filename: `${out}/l.sqlite` })))
const all = Layer.mergeAll(base, ledger, RunLog.layer.pipe(Layer.provide(base)), NodeHttpClient.layerUndici)
const em = await startEmulator({ rate_limits: { enabled: false } })
const time = async (label, eff) => { const c = process.cpuUsage(); await Effect.runPromise(eff); const u = process.cpuUsage(c); console.log(label.padEnd(22), ((u.user + u.system) / 1000 / items.length).toFixed(3), "ms cpu/item") }
const program = Effect.gen(function*() {
  const probed = yield* Effect.forEach(items, (i) => AudioProbe.AudioProbe.probe(i))
  const fp = yield* Effect.forEach(probed, (i) => Fingerprint.apply(i, "x"))
  const led = yield* Ledger.Ledger
  const ev = yield* RunEvents.RunEvents
  const sink = yield* TextSink.component.make(new TextSink.Config({ type: "text" }))
  const client = yield* DashScopeClient.make({ apiKey: Redacted.make("sk-emulator"), httpBaseUrl: em.nativeBaseUrl, compatibleBaseUrl: em.compatibleBaseUrl })
  const tr = yield* QwenAsrSync.make(QwenConfig.decode({ type: "qwen", rate_limit: { requests_per_minute: 100000, adaptive: false } })).pipe(Effect.provideService(DashScopeClient.DashScopeClient, client))
  const run = (label, f) => Effect.promise(() => time(label, Effect.forEach(fp, f, { concurrency: 8 }).pipe(Effect.provide(all), Effect.scoped)))
  if (process.env.ONLY_TRANSCRIBE) { for (let r = 0; r < 4; r++) yield* run("transcribe", (i) => tr.transcribe(i)); return }
  yield* run("probe", (i) => AudioProbe.AudioProbe.probe(i))
  yield* run("fingerprint", (i) => Fingerprint.apply(i, "x"))
  yield* run("isDone", (i) => led.isDone(i.fingerprint))
  yield* run("markDone", (i) => led.markDone(i.fingerprint, i.id))
  yield* run("emit x1", (i) => RunEvents.emit("planned", i.id, { data: { a: 1 } }))
  const results = []
  yield* run("transcribe", (i) => Effect.map(tr.transcribe(i), (t) => results.push(new Transcript.Transcribed({ item: i, transcript: t }))))
  yield* run("transcribe", (i) => tr.transcribe(i))
  let k = 0
  yield* run("text sink", () => sink.write(results[k++]))
})
await Effect.runPromise(program.pipe(Effect.provide(all), Effect.scoped))
await em.close()
