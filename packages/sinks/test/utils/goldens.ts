/**
 * Every golden file of the sink tests: which sink writes it, from which fixture, and where. The tests
 * compare against these files; `npm run golden:update` (test/updateGoldens.ts) rewrites them. Nothing here
 * imports the test runner, so the updater can run it.
 */
import type { SinkComponent } from "@asrflow/core/Component"
import type { Transcribed } from "@asrflow/core/Transcript"
import { FileSystem } from "@effect/platform"
import { Effect, Either } from "effect"
import * as EvidenceSink from "../../src/EvidenceSink.js"
import * as JsonSink from "../../src/JsonSink.js"
import * as SrtSink from "../../src/SrtSink.js"
import * as TextSink from "../../src/TextSink.js"
import * as VttSink from "../../src/VttSink.js"
import * as fixtures from "../fixtures.js"
import { runSink, tempRoot } from "./sinkRun.js"

/** One golden file. */
export interface Golden {
  /** The fixture's name (`chinese`, `sync`, ...). */
  readonly name: string
  /** The file name under `test/golden/`. */
  readonly file: string
  readonly component: SinkComponent<any, any>
  readonly config: { readonly type: string }
  readonly result: Transcribed
  /** Where the sink writes it, relative to the output root. */
  readonly written: string
}

/** The directory the golden files live in. */
export const directory = new URL("../golden/", import.meta.url).pathname

const perFixture = (
  ext: string,
  component: SinkComponent<any, any>,
  config: { readonly type: string }
): ReadonlyArray<Golden> =>
  Object.entries(fixtures.goldens).map(([name, result]) => ({
    name,
    file: `${name}.${ext}`,
    component,
    config,
    result,
    written: `transcripts/${result.item.outputKey}.${ext}`
  }))

export const text = perFixture("txt", TextSink.component, new TextSink.Config({ type: "text" }))
export const json = perFixture("json", JsonSink.component, new JsonSink.Config({ type: "json" }))
export const srt = perFixture("srt", SrtSink.component, new SrtSink.Config({ type: "srt" }))
export const vtt = perFixture("vtt", VttSink.component, new VttSink.Config({ type: "vtt" }))
export const evidence: Golden = {
  name: "chinese",
  file: "chinese.evidence.json",
  component: EvidenceSink.component,
  config: new EvidenceSink.Config({ type: "evidence" }),
  result: fixtures.chinese,
  written: `responses/${fixtures.chinese.item.outputKey}.json`
}

export const all: ReadonlyArray<Golden> = [...text, ...json, ...srt, ...vtt, evidence]

/** Runs the golden's sink over its fixture in a fresh temp dir and returns the text of the file it wrote. */
export const render = (golden: Golden) =>
  Effect.scoped(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const { dir, outputRoot } = yield* tempRoot
    const outcomes = yield* runSink(golden.component, golden.config, dir, [golden.result])
    const failure = outcomes.find(Either.isLeft)
    if (failure !== undefined) return yield* Effect.fail(failure.left)
    return yield* fs.readFileString(`${outputRoot}/${golden.written}`)
  }))
