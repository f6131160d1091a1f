/**
 * The result document of one file of a Fun-ASR/Paraformer batch (docs/PROTOCOL.md, Fun-ASR and Paraformer on the
 * task API): `file_url`, `properties`, and `transcripts[]` per channel with 1-based `sentence_id`, `words[]`, and
 * with `diarization_enabled` a `speaker_id` per sentence, from the voices of the audio (`Diarization`). No emotion,
 * no `audio_info`.
 *
 * @since 0.2.0
 */
import type { Analysis } from "./AudioAnalyzer.js"
import type { Segment } from "./AudioContent.js"
import type { BatchParameters } from "./BatchTasks.js"
import * as Diarization from "./Diarization.js"
import type { State } from "./internal/state.js"
import * as Transcripts from "./Transcripts.js"

/**
 * Builds the document of one file.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (state: State, options: {
  readonly fileUrl: string
  readonly analysis: Extract<Analysis, { _tag: "Ok" }>
  readonly segments: ReadonlyArray<Segment> | undefined
  readonly parameters: BatchParameters
}): unknown => {
  const { analysis, parameters, segments } = options
  const configured = state.transcriptFor([options.fileUrl, analysis.sha256])
  const followsAudio = state.config.synthetic_transcripts === "audio"
  const voices = parameters.diarization && segments !== undefined
    ? Diarization.speakersOf(segments, parameters.speakerCount)
    : undefined
  const transcripts = parameters.channelIds.map((channel) => {
    const transcript = Transcripts.make({
      hash: channel === 0 ? analysis.sha256 : `${analysis.sha256}:${channel}`,
      durationMs: analysis.info.durationMs,
      configured,
      language: parameters.languageHints?.[0],
      segments: followsAudio ? segments : undefined
    })
    // sentences that follow the audio are its segments, one each; others take the voice they overlap most
    const oneToOne = followsAudio && segments !== undefined && segments.length === transcript.sentences.length
    const sentences = transcript.sentences.map((sentence, index) => ({
      begin_time: sentence.begin_time,
      end_time: sentence.end_time,
      text: sentence.text,
      sentence_id: index + 1,
      ...(voices === undefined ? {} : {
        speaker_id: oneToOne
          ? voices[index]!
          : Diarization.speakerAt(segments!, voices, sentence.begin_time, sentence.end_time)
      }),
      words: sentence.words
    }))
    return {
      channel_id: channel,
      content_duration_in_milliseconds: sentences.reduce((sum, s) => sum + (s.end_time - s.begin_time), 0),
      text: transcript.text,
      sentences
    }
  })
  return {
    file_url: options.fileUrl,
    properties: {
      audio_format: analysis.info.format,
      channels: Array.from({ length: analysis.info.channels }, (_, index) => index),
      original_sampling_rate: analysis.info.sampleRate,
      original_duration_in_milliseconds: Math.round(analysis.info.durationMs)
    },
    transcripts
  }
}
