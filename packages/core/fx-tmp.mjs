import { NodeContext } from "@effect/platform-node"
import { FileSystem } from "@effect/platform"
import { Effect, Option, Stream, Chunk, Scope, Exit } from "effect"
import * as fs0 from "node:fs"
import { AudioProbe } from "@asrflow/core/AudioProbe"
import { AudioItem } from "@asrflow/core/AudioItem"
const N = Number(process.argv[3] ?? 20000)
const files = fs0.readFileSync("/tmp/i18p-work/r100k/inputs.csv", "utf8").trim().split("\n").slice(1, 1 + N).map((l) => "/tmp/i18p-work/r100k/" + l.split(",")[0])
const mode = process.argv[2]
const prog = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const probe = yield* AudioProbe
  const items = files.map((f) => new AudioItem({ id: f, source: f, kind: "file", outputKey: "x", origin: "t" }, true))
  const one = {
    stat: (f) => fs.stat(f),
    stat4: (f) => Effect.flatMap(fs.stat(f), () => Effect.scoped(Effect.flatMap(fs.open(f), (h) => h.readAlloc(4100)))),
    readFile: (f) => fs.readFile(f),
    open: (f) => Effect.scoped(fs.open(f)),
    openStat: (f) => Effect.scoped(Effect.flatMap(fs.open(f), (h) => h.stat)),
    openRead: (f) => Effect.scoped(Effect.flatMap(fs.open(f), (h) => h.read(new Uint8Array(4100)))),
    openReadAlloc: (f) => Effect.scoped(Effect.flatMap(fs.open(f), (h) => h.readAlloc(4100))),
    stream: (f) => Stream.runDrain(fs.stream(f, { bytesToRead: 4100, chunkSize: 4100 })),
    succeed: (f) => Effect.succeed(f),
    async: (f) => Effect.async((resume) => { setImmediate(() => resume(Effect.succeed(f))) }),
    async4: (f) => Effect.flatMap(Effect.async((resume) => { setImmediate(() => resume(Effect.succeed(f))) }), () => Effect.flatMap(Effect.async((resume) => { setImmediate(() => resume(Effect.succeed(f))) }), () => Effect.flatMap(Effect.async((resume) => { setImmediate(() => resume(Effect.succeed(f))) }), () => Effect.async((resume) => { setImmediate(() => resume(Effect.succeed(f))) })))),
    nstat: (f) => Effect.async((resume) => { fs0.stat(f, (e, s) => resume(Effect.succeed(s))) }),
    stat2: (f) => Effect.flatMap(fs.stat(f), () => fs.readFile(f)),
    nstat2: (f) => Effect.flatMap(Effect.async((resume) => { fs0.stat(f, (e, s) => resume(Effect.succeed(s))) }), () => Effect.async((resume) => { fs0.readFile(f, (e, s) => resume(Effect.succeed(s))) })),
    scopedVoid: (f) => Effect.scoped(Effect.void),
    manual: (f) => Effect.flatMap(Scope.make(), (scope) => Scope.close(scope, Exit.void)),
    manualAR: (f) => Effect.flatMap(Scope.make(), (scope) => Effect.flatMap(Effect.provideService(Effect.acquireRelease(Effect.succeed(1), () => Effect.void), Scope.Scope, scope), () => Scope.close(scope, Exit.void))),
    aur: (f) => Effect.acquireUseRelease(Effect.succeed(1), () => Effect.void, () => Effect.void),
    scoped: (f) => Effect.scoped(Effect.acquireRelease(Effect.succeed(1), () => Effect.void)),
    probe: (f, i) => probe.probe(items[i]),
    inspect: (f, i) => probe.inspect(items[i])
  }[mode]
  const t0 = process.hrtime.bigint(); const c0 = process.cpuUsage()
  yield* Effect.forEach(files, one, { concurrency: 16, discard: true })
  const c = process.cpuUsage(c0)
  console.log(mode, N, "wall", Number(process.hrtime.bigint() - t0) / 1e6 | 0, "ms cpu", (c.user + c.system) / 1000 | 0, "ms")
})
Effect.runPromise(prog.pipe(Effect.provide(AudioProbe.Default), Effect.provide(NodeContext.layer)))
