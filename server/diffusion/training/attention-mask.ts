// Cut-Mix-Unmix masks of a batch, one per cross-attention map the graph exposes: each mixed
// item's identifier tokens outside their subject's region (cut-mix.ts's unmixMask), repeated
// over heads, scaled so that Σ P·M is a mean over the masked entries.
import type { LoadedModel } from '../model/index.ts';
import type { BatchItem } from './batch.ts';
import { tokenPositions, unmixMask } from './cut-mix.ts';
import type { AttentionMap } from './train-graph.ts';

/** The mask fed for map `a` (shape a.maskDims); `latentW` is the latent width of the batch. */
export function attentionMask(tok: LoadedModel['tokenizer'], items: readonly BatchItem[], a: AttentionMap, latentW: number): Float32Array {
  const L = tok.maxLength;
  const Q = a.h * a.w;
  const mask = new Float32Array(a.maskDims.reduce((x, y) => x * y, 1));
  const N = items.length;
  const heads = a.dims.length === 4 ? 1 : a.dims[0] / N;
  let active = 0;
  items.forEach((it, b) => {
    if (!it.mix) return;
    const ids = tok.encode(it.prompt);
    const tokens = it.mix.identifiers.map((id) => tokenPositions(ids, tok.idsOf(id)));
    const m = unmixMask({ regions: it.mix.regions, tokens }, latentW, a.h, a.w, L);
    for (let hd = 0; hd < heads; hd++) mask.set(m, (b * heads + hd) * Q * L);
    for (const v of m) active += v * heads;
  });
  if (active > 0) {
    const perHead = a.dims.length === 4 ? a.dims[1] : 1;
    const scale = 1 / (active * perHead);
    for (let i = 0; i < mask.length; i++) mask[i] *= scale;
  }
  return mask;
}
