// Types of speech-corpus.mjs, for the tests that import it.
export interface Corpus {
  /** Where each word is, in ms: [begin, end]. */
  readonly words: ReadonlyArray<readonly [number, number]>;
  /** Where each sentence is (its words and the short gaps between them), in ms. */
  readonly sentences: ReadonlyArray<readonly [number, number]>;
  readonly durationMs: number;
}

export declare const makeCorpus: (options: {
  readonly file: string;
  readonly seconds: number;
  readonly seed?: number;
  readonly noiseDb?: number;
  readonly longRunEvery?: number;
  readonly vocabularySize?: number;
}) => Corpus;

export declare const cutsInsideWords: (
  cuts: ReadonlyArray<number>,
  words: ReadonlyArray<readonly [number, number]>,
  toleranceMs?: number,
) => Array<number>;
