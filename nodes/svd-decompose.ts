// SVDDecompose: MODEL → SVD. Finds the spectral layers of the chosen parts (every 2-D weight:
// linear, conv as c_out × c_in·kh·kw, embedding; plus 1-D norm scales, as the SVDiff reference
// does; or attention layers only; optionally filtered by name) and decomposes each W = U·Σ·Vᵀ.
// Factors are cached under cache/svd/<model hash>/, so a second run only reads them.
import { availableParallelism } from 'node:os';
import { defineNode, InputError } from './define.ts';
import { decomposeModel, LAYERS_OPTIONS, PARTS_OPTIONS, partsFromOption, type LayerSelection, type LayersOption, type PartsOption } from '../server/spectral/index.ts';

const NODE = 'SVDDecompose';

export default defineNode({
  type: NODE,
  displayName: 'SVD Decompose',
  category: 'spectral',
  description:
    'Decomposes the model\'s weights W = U·diag(σ)·Vᵀ for spectral-shift training and sampling. Layers: every 2-D weight ' +
    '(linear, conv reshaped to c_out × c_in·kh·kw, embeddings) plus GroupNorm/LayerNorm scales (one singular value each), as the SVDiff ' +
    'reference does; or attention projections only. Factors are cached on disk per model, so the next run loads them.',
  inputs: {
    model: { type: 'MODEL' },
    parts: { type: 'COMBO', options: PARTS_OPTIONS, default: 'unet', tooltip: 'Which networks get shifts: the UNet, or the UNet and the text encoder.' },
    layers: { type: 'COMBO', options: LAYERS_OPTIONS, default: 'all', tooltip: 'all: every weight matrix, conv kernel, embedding and norm scale; attention: q/k/v/out projections only.' },
    name_filter: {
      type: 'STRING',
      default: '',
      tooltip: 'Keep only layers whose name (module path, e.g. down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k) matches this regular expression (or contains it, when it is not one). Empty: no filter.',
    },
  },
  outputs: [{ name: 'SVD', type: 'SVD' }],

  async run({ model, parts, layers, name_filter }, ctx) {
    if (!(PARTS_OPTIONS as readonly string[]).includes(parts)) throw new InputError('parts', `unknown value "${parts}" (expected ${PARTS_OPTIONS.join(', ')})`);
    if (!(LAYERS_OPTIONS as readonly string[]).includes(layers)) throw new InputError('layers', `unknown value "${layers}" (expected ${LAYERS_OPTIONS.join(', ')})`);
    const selection: LayerSelection = { parts: partsFromOption(parts as PartsOption), layers: layers as LayersOption, nameFilter: name_filter ?? '' };
    let result;
    try {
      result = await decomposeModel(model, selection, {
        cacheDir: ctx.storage.cacheDir,
        signal: ctx.signal,
        workers: Math.min(availableParallelism(), 8),
        onLayer: (done, total) => ctx.progress(done, total),
      });
    } catch (e) {
      if ((e as Error)?.name === 'AbortError' || ctx.signal.aborted) throw e;
      if (/no layer matches/.test((e as Error).message)) throw new InputError(name_filter ? 'name_filter' : 'layers', (e as Error).message);
      throw e;
    }
    const { svd, stats } = result;
    const params = [...svd.layers.values()].reduce((n, l) => n + l.k, 0);
    ctx.log(`${stats.layers} layers (${params} singular values): ${stats.fromCache} from cache, ${stats.computed} computed` +
      (stats.corrupt.length ? `; ${stats.corrupt.length} damaged cache file(s) recomputed` : ''));
    return { outputs: [svd] };
  },
});
