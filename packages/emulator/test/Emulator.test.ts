import { Emulator, startEmulator } from "@asrflow/emulator"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { expect } from "vitest"

const ping = (url: string) => Effect.promise(() => fetch(url).then((r) => r.status, () => -1))

describe("Emulator", () => {
  it.scoped("make serves on 127.0.0.1 and exposes the base URLs", () =>
    Effect.gen(function*() {
      const handle = yield* Emulator.make({ api_key: "sk-test" })
      assert.match(handle.origin, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.strictEqual(handle.nativeBaseUrl, `${handle.origin}/api/v1`)
      assert.strictEqual(handle.compatibleBaseUrl, `${handle.origin}/compatible-mode/v1`)
      assert.strictEqual(handle.apiKey, "sk-test")
      assert.strictEqual(yield* ping(`${handle.origin}/__emulator/report`), 200)
      const report = yield* handle.report
      assert.deepStrictEqual(report.violations, [])
      yield* handle.setConfig({ seed: 7 })
      const error = yield* Effect.flip(handle.setConfig({ seed: "x" } as never))
      assert.strictEqual(error._tag, "EmulatorConfigError")
    }))

  it.effect("closes the server when the scope closes", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const handle = yield* Emulator.make().pipe(Scope.extend(scope))
      assert.strictEqual(yield* ping(`${handle.origin}/__emulator/report`), 200)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(yield* ping(`${handle.origin}/__emulator/report`), -1)
    }))

  it.scoped("layer provides the Emulator service", () =>
    Effect.gen(function*() {
      const handle = yield* Emulator.Emulator
      assert.strictEqual(yield* ping(`${handle.origin}/__emulator/report`), 200)
    }).pipe(Effect.provide(Layer.fresh(Emulator.layer({ seed: 3 })))))

  it("startEmulator gives Promise methods and removes its temporary storage on close", async () => {
    const emulator = await startEmulator()
    expect((await emulator.report()).requests).toEqual({})
    await emulator.reset()
    await emulator.advance(10)
    await emulator.setConfig({ latency_ms: { sync: 1 } })
    expect(fs.existsSync(emulator.storageDir)).toBe(true)
    await emulator.close()
    expect(fs.existsSync(emulator.storageDir)).toBe(false)
  })

  it("startEmulator rejects an invalid config", async () => {
    await expect(startEmulator({ rate_limits: { requests_per_minute: { default: -1 } } })).rejects.toThrow(
      /nonNegative|non-negative|greater/
    )
  })

  it("keeps a configured storage_dir", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emulator-storage-"))
    try {
      const emulator = await startEmulator({ storage_dir: dir })
      expect(emulator.storageDir).toBe(dir)
      await emulator.close()
      expect(fs.existsSync(dir)).toBe(true)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
