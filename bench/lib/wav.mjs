// The 44-byte header of a 16-bit PCM WAV, for generated audio in the benches and the tests.

/** The header of `dataBytes` of 16-bit PCM at `rate` samples per second, `channels` interleaved. */
export const wavHeader = (rate, dataBytes, channels = 1) => {
  const header = Buffer.alloc(44)
  header.write("RIFF", 0)
  // a file over 4 GiB cannot say its size: the largest value stands in (readers then trust the data chunk)
  header.writeUInt32LE(Math.min(0xffffffff, 36 + dataBytes), 4)
  header.write("WAVEfmt ", 8)
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(1, 20) // PCM
  header.writeUInt16LE(channels, 22)
  header.writeUInt32LE(rate, 24)
  header.writeUInt32LE(rate * 2 * channels, 28)
  header.writeUInt16LE(2 * channels, 32)
  header.writeUInt16LE(16, 34)
  header.write("data", 36)
  header.writeUInt32LE(dataBytes, 40)
  return header
}

/** A whole WAV file of 16-bit PCM `data` at `rate`. */
export const wavFile = (rate, data, channels = 1) => Buffer.concat([wavHeader(rate, data.length, channels), data])
