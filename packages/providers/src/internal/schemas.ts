/**
 * DashScope wire schemas, with their wire (snake_case) names. Unknown keys are tolerated; the raw body is
 * always kept separately, untouched.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

// =============================================================================
// Shared
// =============================================================================

/** `annotations[]` of a sync response: `{type: "audio_info", language, emotion}`. */
export const Annotation = Schema.Struct({
  type: Schema.optional(Schema.String),
  language: Schema.optional(Schema.NullOr(Schema.String)),
  emotion: Schema.optional(Schema.NullOr(Schema.String))
})
export type Annotation = typeof Annotation.Type

export const Usage = Schema.Struct({
  seconds: Schema.optional(Schema.NullOr(Schema.Number)),
  prompt_tokens: Schema.optional(Schema.Number),
  completion_tokens: Schema.optional(Schema.Number),
  total_tokens: Schema.optional(Schema.Number),
  input_tokens: Schema.optional(Schema.Number),
  output_tokens: Schema.optional(Schema.Number)
})
export type Usage = typeof Usage.Type

/** Both error envelopes: OpenAI-style `{error:{code,message,type}}` and native `{code,message}`. */
export const ErrorBody = Schema.Struct({
  error: Schema.optional(Schema.NullOr(Schema.Struct({
    code: Schema.optional(Schema.NullOr(Schema.String)),
    message: Schema.optional(Schema.NullOr(Schema.String)),
    type: Schema.optional(Schema.NullOr(Schema.String))
  }))),
  code: Schema.optional(Schema.NullOr(Schema.String)),
  message: Schema.optional(Schema.NullOr(Schema.String)),
  msg: Schema.optional(Schema.NullOr(Schema.String)),
  request_id: Schema.optional(Schema.NullOr(Schema.String)),
  id: Schema.optional(Schema.NullOr(Schema.String))
})
export type ErrorBody = typeof ErrorBody.Type

// =============================================================================
// OpenAI-compatible sync (§2)
// =============================================================================

export interface CompatibleRequest {
  readonly model: string
  readonly messages: ReadonlyArray<
    | { readonly role: "system"; readonly content: ReadonlyArray<{ readonly text: string }> }
    | {
      readonly role: "user"
      readonly content: ReadonlyArray<{ readonly type: "input_audio"; readonly input_audio: { readonly data: string } }>
    }
  >
  readonly stream: boolean
  readonly stream_options?: { readonly include_usage: boolean }
  readonly asr_options?: AsrOptions
}

export interface AsrOptions {
  readonly language?: string
  readonly enable_itn?: boolean
}

export const CompatibleResponse = Schema.Struct({
  id: Schema.optional(Schema.String),
  request_id: Schema.optional(Schema.String),
  model: Schema.optional(Schema.String),
  choices: Schema.Array(Schema.Struct({
    index: Schema.optional(Schema.Number),
    finish_reason: Schema.optional(Schema.NullOr(Schema.String)),
    message: Schema.Struct({
      role: Schema.optional(Schema.NullOr(Schema.String)),
      content: Schema.optional(Schema.NullOr(Schema.String)),
      annotations: Schema.optional(Schema.NullOr(Schema.Array(Annotation)))
    })
  })),
  usage: Schema.optional(Schema.NullOr(Usage))
})
export type CompatibleResponse = typeof CompatibleResponse.Type

export const CompatibleChunk = Schema.Struct({
  id: Schema.optional(Schema.String),
  request_id: Schema.optional(Schema.String),
  model: Schema.optional(Schema.String),
  choices: Schema.optionalWith(
    Schema.Array(Schema.Struct({
      index: Schema.optional(Schema.Number),
      finish_reason: Schema.optional(Schema.NullOr(Schema.String)),
      delta: Schema.optionalWith(
        Schema.Struct({
          role: Schema.optional(Schema.NullOr(Schema.String)),
          content: Schema.optional(Schema.NullOr(Schema.String)),
          annotations: Schema.optional(Schema.NullOr(Schema.Array(Annotation)))
        }),
        { default: () => ({}) }
      )
    })),
    { default: () => [] }
  ),
  usage: Schema.optional(Schema.NullOr(Usage))
})
export type CompatibleChunk = typeof CompatibleChunk.Type

// =============================================================================
// Native sync (§3)
// =============================================================================

export interface NativeRequest {
  readonly model: string
  readonly input: {
    readonly messages: ReadonlyArray<{
      readonly role: "system" | "user"
      readonly content: ReadonlyArray<{ readonly text: string } | { readonly audio: string }>
    }>
  }
  readonly parameters?: {
    readonly asr_options?: AsrOptions
    readonly incremental_output?: boolean
  }
}

const NativeContent = Schema.Union(
  Schema.String,
  Schema.Array(Schema.Struct({ text: Schema.optional(Schema.NullOr(Schema.String)) }))
)

export const NativeResponse = Schema.Struct({
  request_id: Schema.optional(Schema.String),
  output: Schema.Struct({
    choices: Schema.optionalWith(
      Schema.Array(Schema.Struct({
        finish_reason: Schema.optional(Schema.NullOr(Schema.String)),
        message: Schema.Struct({
          role: Schema.optional(Schema.NullOr(Schema.String)),
          content: Schema.optional(Schema.NullOr(NativeContent)),
          annotations: Schema.optional(Schema.NullOr(Schema.Array(Annotation)))
        })
      })),
      { default: () => [] }
    ),
    text: Schema.optional(Schema.NullOr(Schema.String))
  }),
  usage: Schema.optional(Schema.NullOr(Usage))
})
export type NativeResponse = typeof NativeResponse.Type

// =============================================================================
// Async tasks (§5)
// =============================================================================

export interface SubmitRequest {
  readonly model: string
  readonly input: { readonly file_url: string }
  readonly parameters?: {
    readonly language?: string
    readonly enable_itn?: boolean
    readonly enable_words?: boolean
    readonly channel_id?: ReadonlyArray<number>
  }
}

/** The Fun-ASR/Paraformer submit (§13.1): a batch of file URLs. */
export interface BatchSubmitRequest {
  readonly model: string
  readonly input: { readonly file_urls: ReadonlyArray<string> }
  readonly parameters?: Readonly<Record<string, unknown>>
}

export const TaskStatus = Schema.Literal(
  "PENDING",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "UNKNOWN",
  "SUSPENDED",
  "CANCELED"
)
export type TaskStatus = typeof TaskStatus.Type

const TaskResult = Schema.Struct({
  transcription_url: Schema.optional(Schema.String),
  file_url: Schema.optional(Schema.String),
  subtask_status: Schema.optional(Schema.String),
  code: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String)
})

export const TaskResponse = Schema.Struct({
  request_id: Schema.optional(Schema.String),
  output: Schema.Struct({
    task_id: Schema.String,
    task_status: TaskStatus,
    submit_time: Schema.optional(Schema.String),
    scheduled_time: Schema.optional(Schema.String),
    end_time: Schema.optional(Schema.String),
    code: Schema.optional(Schema.String),
    message: Schema.optional(Schema.String),
    result: Schema.optional(TaskResult),
    results: Schema.optional(Schema.Array(TaskResult)),
    task_metrics: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Number }))
  }),
  usage: Schema.optional(Schema.NullOr(Usage))
})
export type TaskResponse = typeof TaskResponse.Type

export const CancelResponse = Schema.Struct({
  request_id: Schema.optional(Schema.String)
})
export type CancelResponse = typeof CancelResponse.Type

export const TaskListResponse = Schema.Struct({
  request_id: Schema.optional(Schema.String),
  total: Schema.optional(Schema.Number),
  total_page: Schema.optional(Schema.Number),
  page_no: Schema.optional(Schema.Number),
  page_size: Schema.optional(Schema.Number),
  data: Schema.optionalWith(
    Schema.Array(Schema.Struct({
      task_id: Schema.String,
      status: Schema.optional(Schema.String),
      model_name: Schema.optional(Schema.String),
      region: Schema.optional(Schema.String),
      request_id: Schema.optional(Schema.String),
      // a task that has not started or ended yet lists these as null
      gmt_create: Schema.optional(Schema.NullOr(Schema.Number)),
      start_time: Schema.optional(Schema.NullOr(Schema.Number)),
      end_time: Schema.optional(Schema.NullOr(Schema.Number))
    })),
    { default: () => [] }
  )
})
export type TaskListResponse = typeof TaskListResponse.Type

export interface ListTasksParams {
  readonly model_name?: string
  readonly start_time?: string
  readonly end_time?: string
  readonly status?: string
  readonly page_no?: number
  readonly page_size?: number
}

// =============================================================================
// Temporary upload (§6)
// =============================================================================

export const UploadPolicyResponse = Schema.Struct({
  request_id: Schema.optional(Schema.String),
  data: Schema.Struct({
    policy: Schema.String,
    signature: Schema.String,
    upload_dir: Schema.String,
    upload_host: Schema.String,
    expire_in_seconds: Schema.Number,
    max_file_size_mb: Schema.optional(Schema.Number),
    capacity_limit_mb: Schema.optional(Schema.Number),
    oss_access_key_id: Schema.String,
    x_oss_object_acl: Schema.optional(Schema.String),
    x_oss_forbid_overwrite: Schema.optional(Schema.String)
  })
})
export type UploadPolicyResponse = typeof UploadPolicyResponse.Type
