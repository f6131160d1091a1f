/**
 * Async file-transcription tasks (docs/PROTOCOL.md, Async tasks): lifecycle on the emulator clock, query views, cancel, list,
 * and the signed result document.
 *
 * @since 0.1.0
 */
import type { Analysis } from "./AudioAnalyzer.js"
import type { Segment } from "./AudioContent.js"
import type { State } from "./internal/state.js"
import { taskTime } from "./internal/time.js"
import type { Report } from "./Report.js"
import * as TaskAudio from "./TaskAudio.js"
import * as Transcripts from "./Transcripts.js"

// =============================================================================
// Models
// =============================================================================

/**
 * @since 0.1.0
 * @category models
 */
export type Status = "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELED" | "UNKNOWN"

/**
 * @since 0.1.0
 * @category models
 */
export interface Parameters {
  readonly language: string | undefined
  readonly enableItn: boolean
  readonly enableWords: boolean
  readonly channelIds: ReadonlyArray<number>
}

/**
 * Where a task's audio is: still loading, ready to transcribe, or failed (with the code the task answers).
 *
 * @since 0.2.0
 * @category models
 */
export type Work =
  | { readonly _tag: "Loading" }
  | {
    readonly _tag: "Ready"
    readonly at: number
    readonly analysis: Extract<Analysis, { _tag: "Ok" }>
    readonly segments: ReadonlyArray<Segment> | undefined
  }
  | { readonly _tag: "Failed"; readonly at: number; readonly code: string; readonly message: string }

/**
 * @since 0.1.0
 * @category models
 */
export interface Task {
  readonly id: string
  readonly model: string
  readonly fileUrl: string
  readonly parameters: Parameters
  readonly requestId: string
  readonly submittedAt: number
  readonly pendingUntil: number
  canceledAt: number | undefined
  work: Work
  resultDocument: unknown
}

/**
 * What a task looks like at one instant.
 *
 * @since 0.1.0
 * @category models
 */
export interface View {
  readonly status: Status
  readonly scheduledAt: number | undefined
  readonly endAt: number | undefined
}

// =============================================================================
// Store
// =============================================================================

/**
 * @since 0.1.0
 * @category models
 */
export class TaskStore {
  private tasks = new Map<string, Task>()
  private order: Array<Task> = []

  constructor(private readonly state: State) {}

  submit(options: {
    readonly model: string
    readonly fileUrl: string
    readonly parameters: Parameters
    readonly requestId: string
    readonly source: TaskAudio.Source
  }): Task {
    const now = this.state.clock.now()
    const task: Task = {
      id: this.state.ids.uuid(),
      model: options.model,
      fileUrl: options.fileUrl,
      parameters: options.parameters,
      requestId: options.requestId,
      submittedAt: now,
      pendingUntil: now + this.state.config.tasks.pending_ms,
      canceledAt: undefined,
      work: { _tag: "Loading" },
      resultDocument: undefined
    }
    this.tasks.set(task.id, task)
    this.order.push(task)
    void this.load(task, options.source)
    return task
  }

  private async load(task: Task, source: TaskAudio.Source): Promise<void> {
    const failed = (code: string, message: string) => {
      task.work = { _tag: "Failed", at: this.state.clock.now(), code, message }
    }
    const forced = this.state.forcedFailure(task.fileUrl)
    if (forced) return failed(forced.code, forced.message)
    const loaded = await TaskAudio.load(this.state, { id: task.id, source })
    if (loaded._tag === "Unreachable") return failed("FILE_403_FORBIDDEN", "FILE_403_FORBIDDEN")
    if (loaded._tag === "Undecodable") return failed("InvalidFile.DecodeFailed", "The audio file cannot be decoded.")
    const { analysis, segments } = loaded
    const maxChannel = Math.max(...task.parameters.channelIds)
    if (maxChannel >= analysis.info.channels) {
      return failed(
        "InvalidParameter",
        `channel_id ${maxChannel} out of range: the audio has ${analysis.info.channels}`
      )
    }
    task.work = { _tag: "Ready", at: this.state.clock.now(), analysis, segments }
  }

  get(id: string): Task | undefined {
    const task = this.tasks.get(id)
    if (task === undefined) return undefined
    const view = this.view(task, this.state.clock.now())
    return view.status === "UNKNOWN" ? undefined : task
  }

  view(task: Task, now: number): View {
    if (task.canceledAt !== undefined) {
      return this.expired(task.canceledAt, now)
        ? { status: "UNKNOWN", scheduledAt: undefined, endAt: undefined }
        : { status: "CANCELED", scheduledAt: undefined, endAt: task.canceledAt }
    }
    if (now < task.pendingUntil) return { status: "PENDING", scheduledAt: undefined, endAt: undefined }
    const scheduledAt = task.pendingUntil
    const work = task.work
    if (work._tag === "Loading") return { status: "RUNNING", scheduledAt, endAt: undefined }
    const timing = this.state.config.tasks
    const seconds = work._tag === "Ready" ? work.analysis.info.durationMs / 1000 : 0
    const endAt = Math.max(
      Math.round(scheduledAt + timing.running_ms + timing.running_ms_per_audio_second * seconds),
      work.at
    )
    if (now < endAt) return { status: "RUNNING", scheduledAt, endAt: undefined }
    if (this.expired(endAt, now)) return { status: "UNKNOWN", scheduledAt: undefined, endAt: undefined }
    return { status: work._tag === "Ready" ? "SUCCEEDED" : "FAILED", scheduledAt, endAt }
  }

  private expired(endAt: number, now: number): boolean {
    return now > endAt + this.state.config.result_ttl_s * 1000
  }

  /** Cancels a PENDING task; returns false for any other state. */
  cancel(task: Task): boolean {
    const now = this.state.clock.now()
    if (this.view(task, now).status !== "PENDING") return false
    task.canceledAt = now
    return true
  }

  counts(now: number): Report["tasks"] {
    const out = {
      submitted: this.order.length,
      pending: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      canceled: 0,
      loading: 0
    }
    for (const task of this.order) {
      if (task.work._tag === "Loading") out.loading++
      const status = this.view(task, now).status
      if (status === "PENDING") out.pending++
      else if (status === "RUNNING") out.running++
      else if (status === "SUCCEEDED") out.succeeded++
      else if (status === "FAILED") out.failed++
      else if (status === "CANCELED") out.canceled++
    }
    return out
  }

  all(): ReadonlyArray<Task> {
    return this.order
  }

  // ===========================================================================
  // Wire shapes
  // ===========================================================================

  /** The query body (`GET /tasks/{id}`), docs/PROTOCOL.md, Async tasks. */
  queryBody(task: Task | undefined, id: string, requestId: string): Record<string, unknown> {
    const now = this.state.clock.now()
    const view = task === undefined ? undefined : this.view(task, now)
    if (task === undefined || view === undefined || view.status === "UNKNOWN") {
      return { request_id: requestId, output: { task_id: id, task_status: "UNKNOWN" } }
    }
    const output: Record<string, unknown> = {
      task_id: task.id,
      task_status: view.status,
      submit_time: taskTime(task.submittedAt)
    }
    if (view.scheduledAt !== undefined) output.scheduled_time = taskTime(view.scheduledAt)
    if (view.status === "PENDING" || view.status === "RUNNING") {
      output.task_metrics = { TOTAL: 1, SUCCEEDED: 0, FAILED: 0 }
      return { request_id: requestId, output }
    }
    output.end_time = taskTime(view.endAt!)
    if (view.status === "SUCCEEDED" && task.work._tag === "Ready") {
      output.result = { transcription_url: this.resultUrl(task, view.endAt!) }
      return { request_id: requestId, output, usage: { seconds: this.billedSeconds(task) } }
    }
    if (view.status === "FAILED" && task.work._tag === "Failed") {
      output.code = task.work.code
      output.message = task.work.message
    }
    return { request_id: requestId, output }
  }

  billedSeconds(task: Task): number {
    if (task.work._tag !== "Ready") return 0
    return Math.ceil(task.work.analysis.info.durationMs / 1000) * task.parameters.channelIds.length
  }

  resultUrl(task: Task, endAt: number): string {
    const expires = Math.floor((endAt + this.state.config.result_ttl_s * 1000) / 1000)
    const signature = this.state.uploads.sign(`GET\n${task.id}.json\n${expires}`)
    return `${this.state.origin}/__oss/result/${task.id}.json?Expires=${expires}&OSSAccessKeyId=${this.state.uploads.accessKeyId}&Signature=${
      encodeURIComponent(signature)
    }`
  }

  /** Checks a result URL's query; returns the task or why it is refused. */
  checkResult(
    id: string,
    query: URLSearchParams
  ): { readonly _tag: "Ok"; readonly task: Task } | {
    readonly _tag: "Expired" | "BadSignature" | "NotFound"
    readonly expires?: number
  } {
    const task = this.tasks.get(id)
    if (task === undefined) return { _tag: "NotFound" }
    const expires = Number(query.get("Expires"))
    const signature = query.get("Signature") ?? ""
    if (
      query.get("OSSAccessKeyId") !== this.state.uploads.accessKeyId ||
      !Number.isFinite(expires) ||
      this.state.uploads.sign(`GET\n${task.id}.json\n${expires}`) !== signature
    ) return { _tag: "BadSignature" }
    if (this.state.clock.now() / 1000 > expires) return { _tag: "Expired", expires }
    const view = this.view(task, this.state.clock.now())
    if (view.status !== "SUCCEEDED") return { _tag: "NotFound" }
    return { _tag: "Ok", task }
  }

  /** The qwen3 filetrans result document, docs/PROTOCOL.md, Async tasks. */
  document(task: Task): unknown {
    if (task.resultDocument !== undefined) return task.resultDocument
    if (task.work._tag !== "Ready") return undefined
    const { analysis, segments } = task.work
    const configured = this.state.transcriptFor([task.fileUrl, analysis.sha256])
    const transcripts = task.parameters.channelIds.map((channel) => {
      const transcript = Transcripts.make({
        hash: channel === 0 ? analysis.sha256 : `${analysis.sha256}:${channel}`,
        durationMs: analysis.info.durationMs,
        configured,
        language: task.parameters.language,
        itn: task.parameters.enableItn,
        segments
      })
      return {
        channel_id: channel,
        text: transcript.text,
        sentences: transcript.sentences.map((s) => {
          const sentence: Record<string, unknown> = {
            sentence_id: s.sentence_id,
            begin_time: s.begin_time,
            end_time: s.end_time,
            text: s.text,
            language: s.language,
            emotion: s.emotion
          }
          if (task.parameters.enableWords) sentence.words = s.words
          return sentence
        })
      }
    })
    task.resultDocument = {
      file_url: task.fileUrl,
      audio_info: { format: analysis.info.format, sample_rate: analysis.info.sampleRate },
      transcripts
    }
    return task.resultDocument
  }
}
