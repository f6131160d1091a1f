/**
 * Raw PCM (`.pcm`) has no container, and the service needs one: wrap it in a WAV header locally.
 *
 * @since 0.1.0
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect, Stream } from "effect"

/**
 * A 44-byte PCM WAV header for 16-bit little-endian samples.
 *
 * @since 0.1.0
 * @category constructors
 */
export const wavHeader = (dataBytes: number, sampleRate: number, channels = 1): Uint8Array => {
  const header = new DataView(new ArrayBuffer(44))
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) header.setUint8(offset + i, text.charCodeAt(i))
  }
  const blockAlign = channels * 2
  ascii(0, "RIFF")
  header.setUint32(4, 36 + dataBytes, true)
  ascii(8, "WAVE")
  ascii(12, "fmt ")
  header.setUint32(16, 16, true)
  header.setUint16(20, 1, true)
  header.setUint16(22, channels, true)
  header.setUint32(24, sampleRate, true)
  header.setUint32(28, sampleRate * blockAlign, true)
  header.setUint16(32, blockAlign, true)
  header.setUint16(34, 16, true)
  ascii(36, "data")
  header.setUint32(40, dataBytes, true)
  return new Uint8Array(header.buffer)
}

/**
 * Writes `<temp dir>/<name>.wav` holding the PCM file behind a WAV header (streamed, not buffered),
 * and returns its path. The file lives as long as the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toWav = (file: string, sampleRate: number) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const { size } = yield* fs.stat(file)
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "asrflow-pcm-" })
    const target = path.join(dir, `${path.basename(file, path.extname(file))}.wav`)
    yield* Stream.concat(Stream.make(wavHeader(Number(size), sampleRate)), fs.stream(file)).pipe(
      Stream.run(fs.sink(target))
    )
    return target
  })
