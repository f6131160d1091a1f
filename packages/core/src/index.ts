/**
 * @since 0.1.0
 */
export * as AudioItem from "./AudioItem.js"

/**
 * @since 0.1.0
 */
export * as AudioSource from "./AudioSource.js"

/**
 * @since 0.1.0
 */
export * as Component from "./Component.js"

/**
 * @since 0.1.0
 */
export * as PipelineConfig from "./PipelineConfig.js"

/**
 * @since 0.1.0
 */
export * as Policies from "./Policies.js"

/**
 * @since 0.1.0
 */
export * as Registry from "./Registry.js"

/**
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * @since 0.1.0
 */
export * as RunContext from "./RunContext.js"

/**
 * @since 0.1.0
 */
export * as Sink from "./Sink.js"

/**
 * @since 0.1.0
 */
export * as TranscribeRequest from "./TranscribeRequest.js"

/**
 * @since 0.1.0
 */
export * as Transcriber from "./Transcriber.js"

/**
 * @since 0.1.0
 */
export * as Transcript from "./Transcript.js"

/**
 * @since 0.1.0
 */
export * as PipelineConfigError from "./PipelineConfigError.js"

/**
 * @since 0.1.0
 */
export * as RunEvents from "./RunEvents.js"

/**
 * @since 0.1.0
 */
export * as PipelineRunner from "./PipelineRunner.js"

/**
 * @since 0.1.0
 */
export * as Summary from "./Summary.js"

/**
 * @since 0.2.0
 */
export * as StopSignal from "./StopSignal.js"

/**
 * @since 0.2.0
 */
export * as PhaseSpan from "./PhaseSpan.js"

/**
 * @since 0.1.0
 */
export * as Redact from "./Redact.js"

/**
 * @since 0.1.0
 */
export * as Fingerprint from "./Fingerprint.js"

/**
 * @since 0.3.0
 */
export * as SourceCount from "./SourceCount.js"

/**
 * @since 0.1.0
 */
export * as Ledger from "./Ledger.js"

/**
 * @since 0.1.0
 */
export * as PipelineLoader from "./PipelineLoader.js"

/**
 * @since 0.1.0
 */
export * as AudioProbe from "./AudioProbe.js"

/**
 * @since 0.1.0
 */
export * as Sources from "./Sources.js"

/**
 * @since 0.1.0
 */
export * as FilesSource from "./FilesSource.js"

/**
 * @since 0.1.0
 */
export * as UrlsSource from "./UrlsSource.js"

/**
 * @since 0.1.0
 */
export * as ManifestSource from "./ManifestSource.js"

/**
 * @since 0.1.0
 */
export * as Pipeline from "./Pipeline.js"

/**
 * @since 0.2.0
 */
export * as AudioFormat from "./AudioFormat.js"

/**
 * @since 0.2.0
 */
export * as Credentials from "./Credentials.js"

/**
 * @since 0.2.0
 */
export * as OutputRoot from "./OutputRoot.js"

/**
 * @since 0.2.0
 */
export * as OutputCheck from "./OutputCheck.js"

/**
 * @since 0.2.0
 */
export * as DidYouMean from "./DidYouMean.js"

/**
 * @since 0.2.0
 */
export * as ConnectionGuard from "./ConnectionGuard.js"

/**
 * @since 0.2.0
 */
export * as AudioIntegrity from "./AudioIntegrity.js"

/**
 * @since 0.2.0
 */
export * as OutputCleanup from "./OutputCleanup.js"

/**
 * @since 0.2.0
 */
export * as ProviderCheck from "./ProviderCheck.js"

/**
 * @since 0.2.0
 */
export * as AudioPauses from "./AudioPauses.js"

/**
 * @since 0.2.0
 */
export * as ChunkPlan from "./ChunkPlan.js"

/**
 * @since 0.2.0
 */
export * as ChunkStitch from "./ChunkStitch.js"

/**
 * @since 0.2.0
 */
export * as Ffmpeg from "./Ffmpeg.js"

/**
 * @since 0.2.0
 */
export * as RouteEstimate from "./RouteEstimate.js"

/**
 * @since 0.2.0
 */
export * as SplitPolicy from "./SplitPolicy.js"

/**
 * @since 0.2.0
 */
export * as SplitRoute from "./SplitRoute.js"

/**
 * @since 0.2.0
 */
export * as Admission from "./Admission.js"

/**
 * @since 0.2.0
 */
export * as LaneState from "./LaneState.js"

/**
 * @since 0.2.0
 */
export * as LaneStore from "./LaneStore.js"

/**
 * @since 0.2.0
 */
export * as RateController from "./RateController.js"

/**
 * @since 0.2.0
 */
export * as SharedRun from "./SharedRun.js"

/**
 * @since 0.2.0
 */
export * as SqlLaneStore from "./SqlLaneStore.js"

/**
 * @since 0.2.0
 */
export * as WorkQueue from "./WorkQueue.js"

/**
 * @since 0.2.0
 */
export * as RunStatus from "./RunStatus.js"

/**
 * @since 0.3.0
 */
export * as InFlightAudio from "./InFlightAudio.js"
