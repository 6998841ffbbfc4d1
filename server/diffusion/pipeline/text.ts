// Prompt → text encoder hidden states [B, L, D] (float32), one row per prompt.
import type { LoadedModel } from '../model/index.ts';
import type { FloatTensor } from '../model/index.ts';
import { partRunner, type PartOverride } from './overrides.ts';

export async function encodeText(model: LoadedModel, prompts: readonly string[], overrides?: readonly PartOverride[]): Promise<FloatTensor> {
  const L = model.tokenizer.maxLength;
  const ids = new Int32Array(prompts.length * L);
  prompts.forEach((p, i) => ids.set(model.tokenizer.encode(p), i * L));
  return encodeIds(model, ids, overrides);
}

/** Framed token ids [B·L] (BOS, ids, EOS, padding per row) → hidden states [B, L, D]. */
export async function encodeIds(model: LoadedModel, ids: Int32Array, overrides?: readonly PartOverride[]): Promise<FloatTensor> {
  const L = model.tokenizer.maxLength;
  const r = await partRunner(model, 'text_encoder', overrides);
  const name = r.inputNames[0];
  return r.run({ [name]: r.idsTensor(name, ids, [ids.length / L, L]) });
}

/** Rows of `t` (each [L, D]) picked in the given order into one [count, L, D] tensor. */
export function gatherRows(t: FloatTensor, order: readonly number[]): FloatTensor {
  const [, L, D] = t.dims;
  const per = L * D;
  const out = new Float32Array(order.length * per);
  order.forEach((row, i) => out.set(t.data.subarray(row * per, (row + 1) * per), i * per));
  return { data: out, dims: [order.length, L, D] };
}
