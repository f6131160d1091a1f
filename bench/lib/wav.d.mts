/** The header of `dataBytes` of 16-bit PCM at `rate` samples per second, `channels` interleaved. */
export declare const wavHeader: (rate: number, dataBytes: number, channels?: number) => Buffer;
/** A whole WAV file of 16-bit PCM `data` at `rate`. */
export declare const wavFile: (rate: number, data: Buffer, channels?: number) => Buffer;
