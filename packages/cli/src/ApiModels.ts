/**
 * The data types of the Promise API (`@asrflow/cli/api`), written out as plain interfaces: the CLI package
 * is a bundle with its own copy of Effect, so its published declarations must not refer to `effect` or to
 * other `@asrflow` packages. So these mirror, on purpose, `OneShot.Options` and core's `Transcript` and
 * `Summary`: `api.ts` passes them to the CLI's own modules and hands out core's values under them, so
 * the compiler rejects a drift that would break a caller.
 *
 * @since 0.1.0
 */

/**
 * An output format of `transcribe`.
 *
 * @since 0.1.0
 * @category models
 */
export type Format = "txt" | "json" | "srt" | "vtt"

/**
 * The options of one transcription, named as the original helper's flags.
 *
 * @since 0.1.0
 * @category models
 */
export interface TranscribeRequest {
  /** A local path or a URL; not needed with `task_id`. */
  readonly audio: string
  /** The provider (default: qwen, the first built-in one). */
  readonly provider?: string | undefined
  /** Async: wait for the task (default true); false only submits and returns the task id. */
  readonly wait?: boolean | undefined
  /** Pick up a task submitted earlier (implies waiting for it). */
  readonly task_id?: string | undefined
  readonly model?: string | undefined
  readonly language_hints?: ReadonlyArray<string> | undefined
  readonly sample_rate?: number | undefined
  readonly vocabulary_id?: string | undefined
  readonly disfluency_removal_enabled?: boolean | undefined
  readonly timestamp_granularities?: ReadonlyArray<"sentence" | "word"> | undefined
  readonly async?: boolean | undefined
  readonly context?: string | undefined
  readonly enable_itn?: boolean | undefined
  readonly channel_id?: ReadonlyArray<number> | undefined
  /** The provider's region, e.g. `cn-beijing`, `ap-southeast-1` or `us-east-1` for qwen. */
  readonly region?: string | undefined
  readonly poll_interval_secs?: number | undefined
  readonly max_waits?: number | undefined
  /** Write exactly this file instead of `<output root>/transcripts/<key>.<ext>`. */
  readonly output?: string | undefined
  readonly format?: Format | undefined
  readonly api_key?: string | undefined
}

/**
 * The normalized response of the original skill: `{text, task_id, status, raw}`.
 *
 * @since 0.1.0
 * @category models
 */
export interface NormalizedResponse {
  readonly text: string
  readonly task_id?: string | undefined
  readonly status: string
  readonly raw: unknown
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Word {
  readonly beginMs: number
  readonly endMs: number
  readonly text: string
  readonly punctuation: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Sentence {
  readonly id: number
  readonly channelId: number
  readonly beginMs: number
  readonly endMs: number
  readonly text: string
  readonly language?: string | undefined
  readonly emotion?: string | undefined
  readonly words?: ReadonlyArray<Word> | undefined
}

/**
 * The canonical transcript of one recording, the same for every model.
 *
 * @since 0.1.0
 * @category models
 */
export interface Transcript {
  readonly text: string
  readonly model: string
  readonly provider: string
  readonly status: string
  readonly taskId?: string | undefined
  readonly requestId?: string | undefined
  readonly language?: string | undefined
  readonly emotion?: string | undefined
  readonly durationMs?: number | undefined
  readonly usageSeconds?: number | undefined
  readonly sentences: ReadonlyArray<Sentence>
  /** The text of each audio channel of a multi-channel recording. */
  readonly channels: ReadonlyArray<{ readonly channelId: number; readonly text: string }>
  readonly warnings: ReadonlyArray<string>
  readonly raw: unknown
  /** Every raw API response, with the phase it answered. */
  readonly evidence: ReadonlyArray<{ readonly phase: string; readonly at: string; readonly body: unknown }>
}

/**
 * What `transcribe` resolves to: the normalized response, the canonical transcript and the files written.
 *
 * @since 0.1.0
 * @category models
 */
export interface TranscribeResult extends NormalizedResponse {
  readonly transcript: Transcript
  readonly files: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
}

/**
 * The counts of a run (`runs/<run id>.summary.json`).
 *
 * @since 0.1.0
 * @category models
 */
export interface RunSummary {
  readonly run_id: string
  readonly total: number
  readonly done: number
  readonly failed: number
  readonly skipped: number
  readonly audio_seconds: number
  readonly billed_seconds: number
  readonly elapsed_ms: number
  readonly failures: ReadonlyArray<{ readonly item: string; readonly phase: string; readonly message: string }>
  /** Items whose transient failure outlived their retries and went back to the queue for another round. */
  readonly second_round: number
  /** Each rate lane's final rate, estimated limit, starts and throttled answers. */
  readonly lanes: ReadonlyArray<{
    readonly lane: string
    readonly requests_per_minute: number
    readonly ceiling_per_minute: number | null
    readonly starts: number
    readonly throttled: number
    readonly in_flight_needed: number
  }>
  /** Set when the run stopped early (auth or connectivity). */
  readonly aborted?: string | undefined
  /** Problems outside any one item (a sink that could not finish its file, a run log that could not be written). */
  readonly errors: ReadonlyArray<string>
  /** Billed seconds × the price in the provider's capability table, per currency, with the price's date. */
  readonly estimated_cost: ReadonlyArray<
    { readonly amount: number; readonly currency: string; readonly price_date: string }
  >
  /** The signal that stopped the run (the Promise API is not stopped by signals; the CLI is). */
  readonly stopped?: "SIGINT" | "SIGTERM" | undefined
  /** Items a stop let go before they finished (their async tasks stay recorded for the next run). */
  readonly unfinished: number
  /** 0 when every item succeeded, 1 when some failed, 3 when the run was aborted, 130/143 when stopped. */
  readonly exitCode: 0 | 1 | 3 | 130 | 143
}

/**
 * The phases of an item, in the order they happen.
 *
 * @since 0.2.0
 * @category models
 */
export type Phase =
  | "planned"
  | "probed"
  | "staged"
  | "submitted"
  | "polled"
  | "transcribed"
  | "requeued"
  | "written"
  | "failed"
  | "skipped"

/**
 * One event of one item (a line of the run log and of `asrflow --json`; version 1).
 *
 * @since 0.2.0
 * @category models
 */
export interface ItemEvent {
  readonly v: 1
  readonly at: string
  readonly run_id: string
  readonly item: string
  readonly phase: Phase
  readonly duration_ms?: number | undefined
  readonly data?: { readonly [key: string]: unknown } | undefined
}

/** The summary's fields that have a default, so an encoded summary may leave them out. */
type Defaulted = "errors" | "estimated_cost" | "second_round" | "lanes" | "unfinished"

/**
 * The last event of a run: its summary and exit code.
 *
 * @since 0.2.0
 * @category models
 */
export interface SummaryEvent {
  readonly v: 1
  readonly at: string
  readonly run_id: string
  readonly phase: "summary"
  readonly exit_code: number
  /** The summary as written to `runs/<run id>.summary.json` (fields with a default may be left out). */
  readonly summary:
    & Omit<RunSummary, "exitCode" | Defaulted>
    & { readonly [K in Defaulted]?: RunSummary[K] | undefined }
}

/**
 * What `onEvent` receives: the schema is `asrflow schema --events`.
 *
 * @since 0.2.0
 * @category models
 */
export type RunEvent = ItemEvent | SummaryEvent
