/**
 * The rules behind the validated flags: the same schemas the pipeline file uses (`concurrency`, the
 * request's numeric fields), and messages in the loader's words that name the flag. Loaded only when a
 * validated flag is given, so `--help` never pulls in the loader (see bench/cold-start.mjs).
 *
 * @since 0.2.0
 */
import * as PipelineConfig from "@asrflow/core/PipelineConfig"
import * as PipelineLoader from "@asrflow/core/PipelineLoader"
import * as TranscribeRequest from "@asrflow/core/TranscribeRequest"
import { Either, Option, Schema, SchemaAST } from "effect"

/**
 * @since 0.2.0
 * @category models
 */
export type Rule = "concurrency" | "sampleRate" | "pollInterval" | "maxWaits" | "format" | "granularity"

const schemas: Record<Rule, Schema.Schema<any, any>> = {
  concurrency: PipelineConfig.Concurrency,
  sampleRate: TranscribeRequest.SampleRate,
  pollInterval: TranscribeRequest.PollIntervalSecs,
  maxWaits: TranscribeRequest.MaxWaits,
  format: Schema.Literal("txt", "json", "srt", "vtt"),
  granularity: TranscribeRequest.TimestampGranularity
}

const numeric: ReadonlySet<Rule> = new Set(["concurrency", "sampleRate", "pollInterval", "maxWaits"])

// a number as people type it; anything else stays text, so the message quotes what was given
const parse = (rule: Rule, text: string): unknown => {
  const trimmed = text.trim()
  return numeric.has(rule) && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed) ? Number(trimmed) : trimmed
}

/**
 * Checks one flag's value (or each item of a comma-separated list): the decoded value, or one line
 * naming the flag.
 *
 * @since 0.2.0
 * @category utils
 */
export const check = (flag: string, rule: Rule, text: string): Either.Either<unknown, string> => {
  const value = parse(rule, text)
  const schema = schemas[rule]
  // not a number at all: say the whole of what the flag takes, not just "a number"
  const described = Option.getOrUndefined(SchemaAST.getDescriptionAnnotation(schema.ast))
  if (numeric.has(rule) && typeof value === "string" && described !== undefined) {
    return Either.left(`asrflow: --${flag}: expected ${described}, got ${JSON.stringify(value)}`)
  }
  const decoded = PipelineLoader.decodeValue(schema, value)
  return Either.mapLeft(decoded, (issues) => `asrflow: --${flag}: ${issues.map((issue) => issue.message).join("; ")}`)
}

/**
 * The flag that sets a field of the one-shot request (`--model` for `model`), for messages about a
 * provider config built from flags; other paths are named as config keys.
 *
 * @since 0.2.0
 * @category utils
 */
export const flagOf = (path: string): string => {
  const field = path.split(/[.[]/)[0] ?? path
  const flags: Record<string, string> = {
    model: "--model",
    region: "--region",
    language_hints: "--language-hints",
    sample_rate: "--sample-rate",
    vocabulary_id: "--vocabulary-id",
    disfluency_removal_enabled: "--disfluency-removal-enabled",
    timestamp_granularities: "--timestamp-granularities",
    async: "--async",
    context: "--context",
    enable_itn: "--itn",
    poll: "--poll-interval/--max-waits"
  }
  return flags[field] ?? `provider.${path}`
}
