/**
 * Fun-ASR/Paraformer batch tasks (docs/PROTOCOL.md, Fun-ASR and Paraformer on the task API): one task owns up to
 * 100 files, each loaded and transcribed on its own, so a file that fails inside a batch fails alone. Lifecycle on
 * the emulator clock as for single tasks; query bodies with per-file `results[]` (`subtask_status`), `task_metrics`
 * and `usage.duration`; a signed result document per file.
 *
 * @since 0.2.0
 */
import * as BatchDocument from "./BatchDocument.js"
import type { State } from "./internal/state.js"
import { taskTime } from "./internal/time.js"
import * as TaskAudio from "./TaskAudio.js"
import type { Status, View, Work } from "./Tasks.js"

// =============================================================================
// Models
// =============================================================================

/**
 * The parameters a batch was submitted with.
 *
 * @since 0.2.0
 * @category models
 */
export interface BatchParameters {
  readonly languageHints: ReadonlyArray<string> | undefined
  readonly diarization: boolean
  readonly speakerCount: number | undefined
  readonly channelIds: ReadonlyArray<number>
}

/**
 * One file of a batch.
 *
 * @since 0.2.0
 * @category models
 */
export interface BatchFile {
  readonly index: number
  readonly fileUrl: string
  work: Work
  document: unknown
}

/**
 * @since 0.2.0
 * @category models
 */
export interface BatchTask {
  readonly id: string
  readonly model: string
  readonly files: ReadonlyArray<BatchFile>
  readonly parameters: BatchParameters
  readonly requestId: string
  readonly submittedAt: number
  readonly pendingUntil: number
  canceledAt: number | undefined
}

/**
 * A file as the submit route resolved it: a URL to fetch, a stored upload, or a failure known at once.
 *
 * @since 0.2.0
 * @category models
 */
export type FileSource =
  | { readonly _tag: "Load"; readonly source: TaskAudio.Source }
  | { readonly _tag: "Failed"; readonly code: string; readonly message: string }

const DOWNLOAD_FAILED = { code: "InvalidFile.DownloadFailed", message: "The audio file cannot be downloaded." }

// =============================================================================
// Store
// =============================================================================

/**
 * @since 0.2.0
 * @category models
 */
export class BatchStore {
  private batches = new Map<string, BatchTask>()
  private order: Array<BatchTask> = []

  constructor(private readonly state: State) {}

  submit(options: {
    readonly model: string
    readonly files: ReadonlyArray<{ readonly fileUrl: string; readonly source: FileSource }>
    readonly parameters: BatchParameters
    readonly requestId: string
  }): BatchTask {
    const now = this.state.clock.now()
    const task: BatchTask = {
      id: this.state.ids.uuid(),
      model: options.model,
      files: options.files.map((file, index) => ({
        index,
        fileUrl: file.fileUrl,
        work: file.source._tag === "Failed"
          ? { _tag: "Failed", at: now, code: file.source.code, message: file.source.message }
          : { _tag: "Loading" },
        document: undefined
      })),
      parameters: options.parameters,
      requestId: options.requestId,
      submittedAt: now,
      pendingUntil: now + this.state.config.tasks.pending_ms,
      canceledAt: undefined
    }
    this.batches.set(task.id, task)
    this.order.push(task)
    options.files.forEach((file, index) => {
      if (file.source._tag === "Load") void this.load(task, task.files[index]!, file.source.source)
    })
    return task
  }

  private async load(task: BatchTask, file: BatchFile, source: TaskAudio.Source): Promise<void> {
    const failed = (code: string, message: string) => {
      file.work = { _tag: "Failed", at: this.state.clock.now(), code, message }
    }
    const forced = this.state.forcedFailure(file.fileUrl)
    if (forced) return failed(forced.code, forced.message)
    const loaded = await TaskAudio.load(this.state, {
      id: `${task.id}-${file.index}`,
      source,
      segments: task.parameters.diarization
    })
    if (loaded._tag === "Unreachable") return failed(DOWNLOAD_FAILED.code, DOWNLOAD_FAILED.message)
    if (loaded._tag === "Undecodable") return failed("InvalidFile.DecodeFailed", "The audio file cannot be decoded.")
    const maxChannel = Math.max(...task.parameters.channelIds)
    if (maxChannel >= loaded.analysis.info.channels) {
      return failed(
        "InvalidParameter",
        `channel_id ${maxChannel} out of range: the audio has ${loaded.analysis.info.channels}`
      )
    }
    if (loaded.segments?.length === 0 && this.state.config.synthetic_transcripts === "audio") {
      // no voiced stretch at all: the service reports that the file held no speech
      return failed("SUCCESS_WITH_NO_VALID_FRAGMENT", "The audio file contains no valid speech.")
    }
    file.work = { _tag: "Ready", at: this.state.clock.now(), analysis: loaded.analysis, segments: loaded.segments }
  }

  get(id: string): BatchTask | undefined {
    const task = this.batches.get(id)
    return task === undefined || this.view(task, this.state.clock.now()).status === "UNKNOWN" ? undefined : task
  }

  all(): ReadonlyArray<BatchTask> {
    return this.order
  }

  private fileEnd(file: BatchFile, scheduledAt: number): number | undefined {
    const work = file.work
    if (work._tag === "Loading") return undefined
    const timing = this.state.config.tasks
    const seconds = work._tag === "Ready" ? work.analysis.info.durationMs / 1000 : 0
    return Math.max(Math.round(scheduledAt + timing.running_ms + timing.running_ms_per_audio_second * seconds), work.at)
  }

  view(task: BatchTask, now: number): View {
    const ttl = this.state.config.result_ttl_s * 1000
    if (task.canceledAt !== undefined) {
      return now > task.canceledAt + ttl
        ? { status: "UNKNOWN", scheduledAt: undefined, endAt: undefined }
        : { status: "CANCELED", scheduledAt: undefined, endAt: task.canceledAt }
    }
    if (now < task.pendingUntil) return { status: "PENDING", scheduledAt: undefined, endAt: undefined }
    const scheduledAt = task.pendingUntil
    const ends = task.files.map((file) => this.fileEnd(file, scheduledAt))
    if (ends.some((end) => end === undefined)) return { status: "RUNNING", scheduledAt, endAt: undefined }
    const endAt = Math.max(...(ends as Array<number>))
    if (now < endAt) return { status: "RUNNING", scheduledAt, endAt: undefined }
    if (now > endAt + ttl) return { status: "UNKNOWN", scheduledAt: undefined, endAt: undefined }
    // the task succeeds when any of its files did
    const status: Status = task.files.some((file) => file.work._tag === "Ready") ? "SUCCEEDED" : "FAILED"
    return { status, scheduledAt, endAt }
  }

  /** Cancels a PENDING batch; returns false for any other state. */
  cancel(task: BatchTask): boolean {
    const now = this.state.clock.now()
    if (this.view(task, now).status !== "PENDING") return false
    task.canceledAt = now
    return true
  }

  /** Files whose audio is still being fetched and analysed (in real time, whatever the clock). */
  loading(): number {
    return this.order.reduce((sum, task) => sum + task.files.filter((file) => file.work._tag === "Loading").length, 0)
  }

  // ===========================================================================
  // Wire shapes
  // ===========================================================================

  /** The query body of a batch (`GET /tasks/{id}`). */
  queryBody(task: BatchTask, requestId: string): Record<string, unknown> {
    const now = this.state.clock.now()
    const view = this.view(task, now)
    const output: Record<string, unknown> = {
      task_id: task.id,
      task_status: view.status,
      submit_time: taskTime(task.submittedAt)
    }
    if (view.scheduledAt !== undefined) output.scheduled_time = taskTime(view.scheduledAt)
    const total = task.files.length
    if (view.status === "PENDING" || view.status === "RUNNING" || view.status === "CANCELED") {
      output.task_metrics = { TOTAL: total, SUCCEEDED: 0, FAILED: 0 }
      return { request_id: requestId, output }
    }
    output.end_time = taskTime(view.endAt!)
    output.results = task.files.map((file) =>
      file.work._tag === "Ready"
        ? {
          file_url: file.fileUrl,
          transcription_url: this.resultUrl(task, file, view.endAt!),
          subtask_status: "SUCCEEDED"
        }
        : {
          file_url: file.fileUrl,
          code: file.work._tag === "Failed" ? file.work.code : "InternalError",
          message: file.work._tag === "Failed" ? file.work.message : "",
          subtask_status: "FAILED"
        }
    )
    const succeeded = task.files.filter((file) => file.work._tag === "Ready").length
    output.task_metrics = { TOTAL: total, SUCCEEDED: succeeded, FAILED: total - succeeded }
    if (view.status === "FAILED") {
      const first = task.files[0]!.work
      if (first._tag === "Failed") [output.code, output.message] = [first.code, first.message]
      return { request_id: requestId, output }
    }
    return { request_id: requestId, output, usage: { duration: this.billedSeconds(task) } }
  }

  billedSeconds(task: BatchTask): number {
    return task.files.reduce(
      (sum, file) =>
        file.work._tag === "Ready"
          ? sum + Math.ceil(file.work.analysis.info.durationMs / 1000) * task.parameters.channelIds.length
          : sum,
      0
    )
  }

  private signed(task: BatchTask, file: BatchFile, expires: number): string {
    return this.state.uploads.sign(`GET\n${task.id}/${file.index}.json\n${expires}`)
  }

  resultUrl(task: BatchTask, file: BatchFile, endAt: number): string {
    const expires = Math.floor((endAt + this.state.config.result_ttl_s * 1000) / 1000)
    return `${this.state.origin}/__oss/result/${task.id}/${file.index}.json?Expires=${expires}&OSSAccessKeyId=${this.state.uploads.accessKeyId}&Signature=${
      encodeURIComponent(this.signed(task, file, expires))
    }`
  }

  /** Checks a per-file result URL's query; returns the document or why it is refused. */
  checkResult(
    id: string,
    index: number,
    query: URLSearchParams
  ): { readonly _tag: "Ok"; readonly document: unknown } | {
    readonly _tag: "Expired" | "BadSignature" | "NotFound"
    readonly expires?: number
  } {
    const task = this.batches.get(id)
    const file = task?.files[index]
    if (task === undefined || file === undefined) return { _tag: "NotFound" }
    const expires = Number(query.get("Expires"))
    if (
      query.get("OSSAccessKeyId") !== this.state.uploads.accessKeyId || !Number.isFinite(expires) ||
      this.signed(task, file, expires) !== (query.get("Signature") ?? "")
    ) return { _tag: "BadSignature" }
    if (this.state.clock.now() / 1000 > expires) return { _tag: "Expired", expires }
    if (this.view(task, this.state.clock.now()).status !== "SUCCEEDED" || file.work._tag !== "Ready") {
      return { _tag: "NotFound" }
    }
    file.document ??= BatchDocument.make(this.state, {
      fileUrl: file.fileUrl,
      analysis: file.work.analysis,
      segments: file.work.segments,
      parameters: task.parameters
    })
    return { _tag: "Ok", document: file.document }
  }
}
