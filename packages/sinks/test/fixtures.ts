/**
 * Fixed canonical transcripts for the golden-file tests.
 */
import { AudioItem } from "@asrflow/core/AudioItem"
import { Evidence, Failed, Sentence, Transcribed, Transcript, Word } from "@asrflow/core/Transcript"

/** One word per character (Chinese), punctuation on the preceding word, as docs/PROTOCOL.md §7.5 describes. */
const charWords = (text: string, beginMs: number, stepMs: number): Array<Word> => {
  const words: Array<Word> = []
  let at = beginMs
  for (const char of text) {
    if (/\p{P}/u.test(char)) {
      const last = words.pop()!
      words.push(new Word({ beginMs: last.beginMs, endMs: last.endMs, text: last.text, punctuation: char }))
      continue
    }
    words.push(new Word({ beginMs: at, endMs: at + stepMs, text: char }))
    at += stepMs
  }
  return words
}

/** English words, 'word,' style: punctuation in the punctuation field. */
const latinWords = (text: string, beginMs: number, stepMs: number): Array<Word> =>
  text.split(" ").map((token, index) => {
    const match = /^(.*?)(\p{P}*)$/u.exec(token)!
    return new Word({
      beginMs: beginMs + index * stepMs,
      endMs: beginMs + (index + 1) * stepMs - 40,
      text: match[1],
      punctuation: match[2]
    })
  })

export const apiKey = "sk-fixture0123456789abcdef"

const signedUrl = "https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/pre/result.json" +
  "?Expires=1764200000&OSSAccessKeyId=LTAI5tFixtureAccessKey&Signature=fixtureSig%2Bvalue%3D"

const item = (outputKey: string, source: string, durationMs?: number) =>
  new AudioItem({
    id: source,
    source,
    kind: "file",
    outputKey,
    origin: "files",
    durationMs,
    metadata: { speaker: "甲", batch: 7 }
  })

// ---------------------------------------------------------------------------

export const chinese = new Transcribed({
  item: item("zh/hello", "/data/audio/zh/hello.wav", 4400),
  transcript: new Transcript({
    text: "你好，世界。欢迎使用通义千问语音识别。",
    model: "qwen3-asr-flash-filetrans",
    provider: "qwen",
    status: "SUCCEEDED",
    taskId: "task-zh-0001",
    requestId: "req-zh-0001",
    language: "zh",
    emotion: "neutral",
    durationMs: 4400,
    usageSeconds: 5,
    sentences: [
      new Sentence({
        id: 0,
        beginMs: 0,
        endMs: 1100,
        text: "你好，世界。",
        language: "zh",
        emotion: "neutral",
        words: charWords("你好，世界。", 0, 275)
      }),
      new Sentence({
        id: 1,
        beginMs: 1400,
        endMs: 4280,
        text: "欢迎使用通义千问语音识别。",
        language: "zh",
        emotion: "happy",
        words: charWords("欢迎使用通义千问语音识别。", 1400, 240)
      })
    ],
    raw: {
      output: {
        task_id: "task-zh-0001",
        task_status: "SUCCEEDED",
        result: { transcription_url: signedUrl }
      },
      transcription_result: {
        file_url: "oss://dashscope-instant/abc/hello.wav",
        transcripts: [{ channel_id: 0, text: "你好，世界。欢迎使用通义千问语音识别。" }]
      }
    },
    evidence: [
      new Evidence({
        phase: "submit",
        at: "2026-01-01T00:00:00.000Z",
        body: { output: { task_id: "task-zh-0001", task_status: "PENDING" }, request_id: "req-zh-0001" }
      }),
      new Evidence({
        phase: "poll",
        at: "2026-01-01T00:00:05.000Z",
        body: { output: { task_status: "SUCCEEDED", result: { transcription_url: signedUrl } } }
      }),
      new Evidence({
        phase: "result",
        at: "2026-01-01T00:00:05.100Z",
        body: { file_url: "oss://dashscope-instant/abc/hello.wav", transcripts: [{ channel_id: 0, text: "你好" }] }
      })
    ]
  })
})

export const english = new Transcribed({
  item: item("en/meeting", "https://media.example.com/en/meeting.mp3", 5200),
  transcript: new Transcript({
    text: "Hello world. This is a short test.",
    model: "qwen3-asr-flash-filetrans",
    provider: "qwen",
    status: "SUCCEEDED",
    taskId: "task-en-0001",
    language: "en",
    durationMs: 5200,
    sentences: [
      new Sentence({
        id: 0,
        beginMs: 200,
        endMs: 1400,
        text: "Hello world.",
        words: latinWords("Hello world.", 200, 600)
      }),
      new Sentence({
        id: 1,
        beginMs: 1800,
        endMs: 5000,
        text: "This is a short test.",
        words: latinWords("This is a short test.", 1800, 640)
      })
    ],
    raw: { output: { task_status: "SUCCEEDED" } }
  })
})

export const mixed = new Transcribed({
  item: item("mixed/我们的会议", "/data/audio/mixed/我们的会议.m4a"),
  transcript: new Transcript({
    text: "我们使用Qwen3-ASR模型进行测试，效果很好。今天的meeting很成功。",
    model: "qwen3-asr-flash-filetrans",
    provider: "qwen",
    status: "SUCCEEDED",
    sentences: [
      new Sentence({ id: 0, beginMs: 0, endMs: 3900, text: "我们使用Qwen3-ASR模型进行测试，效果很好。" }),
      new Sentence({
        id: 1,
        beginMs: 4000,
        endMs: 6000,
        text: "今天的meeting很成功。",
        words: [
          new Word({ beginMs: 4000, endMs: 4200, text: "今" }),
          new Word({ beginMs: 4200, endMs: 4400, text: "天" }),
          new Word({ beginMs: 4400, endMs: 4600, text: "的" }),
          new Word({ beginMs: 4600, endMs: 5200, text: "meeting" }),
          new Word({ beginMs: 5200, endMs: 5400, text: "很" }),
          new Word({ beginMs: 5400, endMs: 5700, text: "成" }),
          new Word({ beginMs: 5700, endMs: 6000, text: "功", punctuation: "。" })
        ]
      })
    ],
    raw: {}
  })
})

export const empty = new Transcribed({
  item: item("silence", "/data/audio/silence.wav", 3000),
  transcript: new Transcript({
    text: "",
    model: "qwen3-asr-flash-filetrans",
    provider: "qwen",
    status: "SUCCEEDED",
    taskId: "task-silence",
    durationMs: 3000,
    sentences: [],
    raw: { transcripts: [{ channel_id: 0, text: "", sentences: [] }] }
  })
})

const longEnglish =
  "When the quarterly results came in on Thursday afternoon the whole team gathered around the small screen in the kitchen to see whether the new transcription pipeline had finally paid off."
const longChinese =
  "这是一个非常长的句子，用来测试字幕的自动换行功能是否能够在没有词级时间戳的情况下按照字符比例合理地分配每一条字幕的时间。"

export const long = new Transcribed({
  item: item("long/lecture", "/data/audio/long/lecture.flac", 40_000),
  transcript: new Transcript({
    text: `${longEnglish}\n${longChinese}`,
    model: "qwen3-asr-flash-filetrans",
    provider: "qwen",
    status: "SUCCEEDED",
    durationMs: 40_000,
    sentences: [
      new Sentence({
        id: 0,
        beginMs: 1000,
        endMs: 19_000,
        text: longEnglish,
        words: latinWords(longEnglish, 1000, 560)
      }),
      new Sentence({ id: 1, beginMs: 20_000, endMs: 38_000, text: longChinese })
    ],
    raw: {}
  })
})

export const sync = new Transcribed({
  item: item("sync/short", "/data/audio/sync/short.wav"),
  transcript: new Transcript({
    text: "你好，这是一段同步识别的结果，没有时间戳。",
    model: "qwen3-asr-flash",
    provider: "qwen",
    status: "SUCCEEDED",
    durationMs: 4200,
    usageSeconds: 5,
    language: "zh",
    emotion: "neutral",
    raw: { choices: [{ message: { content: "你好，这是一段同步识别的结果，没有时间戳。" } }] }
  })
})

export const failed = new Failed({
  item: item("bad/broken", "/data/audio/bad/broken.wav"),
  phase: "transcribe",
  reason: "InvalidAudio",
  message: "InvalidAudio (InvalidParameter) from qwen for /data/audio/bad/broken.wav: The audio is not decodable",
  requestId: "req-bad-0001",
  evidence: [
    new Evidence({
      phase: "submit",
      at: "2026-01-01T00:00:00.000Z",
      body: { code: "InvalidParameter", message: "The audio is not decodable", request_id: "req-bad-0001" }
    })
  ]
})

/** Every transcribed fixture, by golden name. */
/** A diarized meeting (Fun-ASR/Paraformer shape): speaker ids per sentence, two turns by speaker 0 in a row. */
export const meeting = new Transcribed({
  item: item("en/standup", "/data/audio/en/standup.wav", 9000),
  transcript: new Transcript({
    text: "Good morning. Shall we start? Yes, I finished the report. Great, thanks.",
    model: "paraformer-v2",
    provider: "funasr",
    status: "SUCCEEDED",
    taskId: "task-meeting-0001",
    language: "en",
    durationMs: 9000,
    sentences: [
      new Sentence({
        id: 1,
        beginMs: 100,
        endMs: 1300,
        text: "Good morning.",
        speakerId: 0,
        words: latinWords("Good morning.", 100, 600)
      }),
      new Sentence({
        id: 2,
        beginMs: 1500,
        endMs: 2900,
        text: "Shall we start?",
        speakerId: 0,
        words: latinWords("Shall we start?", 1500, 460)
      }),
      new Sentence({
        id: 3,
        beginMs: 3400,
        endMs: 6400,
        text: "Yes, I finished the report.",
        speakerId: 1,
        words: latinWords("Yes, I finished the report.", 3400, 600)
      }),
      new Sentence({
        id: 4,
        beginMs: 7000,
        endMs: 8600,
        text: "Great, thanks.",
        speakerId: 0,
        words: latinWords("Great, thanks.", 7000, 800)
      })
    ],
    raw: { output: { task_status: "SUCCEEDED" } }
  })
})

export const goldens = { chinese, english, mixed, empty, long, sync, meeting } as const

/** The same result for another output key. */
export const withKey = (result: Transcribed, outputKey: string): Transcribed =>
  new Transcribed({ item: new AudioItem({ ...result.item, id: outputKey, outputKey }), transcript: result.transcript })
