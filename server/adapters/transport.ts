// Facilitated transport (SPM): an adapter acts on a prompt at a rate γ ∈ [0, 1] from how much the
// prompt matches the concepts it erases, so a prompt unrelated to them sees the original model
// and several adapters do not erode each other. As SPM's inference code scores a prompt against
// each erased concept, γ is the largest over the concepts of
//   max(token overlap, text-state similarity)
// token overlap: the share of the concept's tokens (BOS/EOS/padding left out) that the prompt has;
// text-state similarity: the cosine of the two prompts' whole encoder states, taken relative to
// the empty prompt's (the padding and position terms every prompt shares make the raw cosine
// high for any pair), clipped to [0, 1]:  (cos(p, c) − cos(∅, c)) / (1 − cos(∅, c)).

export interface EncodedText {
  /** Content token ids (no BOS/EOS/padding). */
  tokens: readonly number[];
  /** Text-encoder states [L·D]. */
  states: Float32Array;
}

export function tokenOverlap(prompt: readonly number[], concept: readonly number[]): number {
  const c = new Set(concept);
  if (c.size === 0) return 0;
  const p = new Set(prompt);
  let n = 0;
  for (const t of c) if (p.has(t)) n++;
  return n / c.size;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** Text-state similarity of `prompt` to `concept`, relative to the empty prompt's, in [0, 1]. */
export function stateSimilarity(prompt: Float32Array, concept: Float32Array, empty: Float32Array): number {
  const base = cosine(empty, concept);
  if (base >= 1) return 0;
  return Math.min(1, Math.max(0, (cosine(prompt, concept) - base) / (1 - base)));
}

/** γ of one adapter for one prompt: the largest match over its concepts (0 with no concepts). */
export function transportRate(prompt: EncodedText, concepts: readonly EncodedText[], empty: Float32Array): number {
  let g = 0;
  for (const c of concepts) g = Math.max(g, tokenOverlap(prompt.tokens, c.tokens), stateSimilarity(prompt.states, c.states, empty));
  return g;
}
