// The contract every text tokenizer of a model meets (CLIP BPE for SD, word-level for the
// embedded model). Pipelines only need fixed-length id tensors for the text encoder.

export interface TextTokenizer {
  readonly kind: 'clip-bpe' | 'word-level';
  /** Sequence length of `encode` (CLIP: 77), BOS and EOS included. */
  readonly maxLength: number;
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  /** [BOS, …ids truncated to maxLength − 2, EOS, PAD…] of exactly maxLength. */
  encode(text: string): Int32Array;
  /** Token ids of `text` without BOS/EOS/padding or truncation (e.g. to check `sks` is one token). */
  idsOf(text: string): number[];
  /** Token strings of `text` without special tokens (for display and debugging). */
  tokenize(text: string): string[];
}

/** Puts BOS/EOS around `ids`, truncating the content to maxLength − 2, and pads with padId. */
export function frameIds(ids: readonly number[], maxLength: number, bosId: number, eosId: number, padId: number): Int32Array {
  const out = new Int32Array(maxLength).fill(padId);
  const n = Math.min(ids.length, maxLength - 2);
  out[0] = bosId;
  for (let i = 0; i < n; i++) out[i + 1] = ids[i];
  out[n + 1] = eosId;
  return out;
}
