/**
 * `asrflow transcribe <file|dir|glob|url>…`: the inputs and flags of a one-shot become an in-memory
 * pipeline (a `files` source for local paths, folders and globs, a `urls` source for URLs, the chosen
 * provider and model, one sink per requested format plus the evidence), which then runs like any
 * pipeline file: the same runner, ledger and sinks.
 *
 * @since 0.2.0
 */
import { PipelineConfig, PipelineLoader } from "@asrflow/core"
import type { Component } from "@asrflow/core"
import { Effect, Either } from "effect"
import type { Format } from "./OneShot.js"
import { UsageError } from "./OneShot.js"

const sinkType: Record<Format, string> = { txt: "text", json: "json", srt: "srt", vtt: "vtt" }

const isUrl = (input: string) => /^(https?|oss):\/\//i.test(input)

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  readonly inputs: ReadonlyArray<string>
  /** The provider's config block, as the provider maps the request's fields (`fromRequest`). */
  readonly provider: Component.Typed
  readonly formats: ReadonlyArray<Format>
  readonly outputDir?: string | undefined
  readonly concurrency?: number | undefined
  /** Where relative inputs start: the current directory. */
  readonly baseDir: string
}

/**
 * The pipeline for a one-shot's inputs. Inputs are taken as given: nothing in them is interpolated.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (registries: PipelineConfig.Registries, options: Options) =>
  Effect.suspend(() => {
    const urls = options.inputs.filter(isUrl)
    const files = options.inputs.filter((input) => !isUrl(input))
    const formats = options.formats.length === 0 ? ["txt" as const] : [...new Set(options.formats)]
    const document = {
      version: 1,
      ...(options.outputDir === undefined ? {} : { output_dir: options.outputDir }),
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      sources: [
        ...(files.length > 0 ? [{ type: "files", include: files }] : []),
        ...(urls.length > 0 ? [{ type: "urls", urls }] : [])
      ],
      provider: options.provider,
      sinks: [...formats.map((format) => ({ type: sinkType[format] })), { type: "evidence" }]
    }
    return Either.match(PipelineLoader.decodeValue(PipelineConfig.make(registries), document), {
      onLeft: (issues) =>
        Effect.fail(new UsageError({ message: issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ") })),
      onRight: (config): Effect.Effect<PipelineLoader.Loaded> =>
        Effect.succeed({ config, file: "<command line>", baseDir: options.baseDir })
    })
  })
