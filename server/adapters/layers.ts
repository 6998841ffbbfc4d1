// Which weights take an adapter, and how their stored bytes relate to the torch view
// (out × in) the adapter is defined in: MatMul's B is stored [in, out]; a transposed MatMul
// weight, Gemm(transB) and conv kernels [out, in(, kh, kw)]. The UNet's linear and conv
// layers, as SPM adapts them; embedding tables, norm scales, transposed convs are left alone.
import type { SpectralLayer } from '../spectral/index.ts';

export interface AdapterTarget {
  name: string;
  initializer: string;
  /** W's stored dims. */
  shape: readonly number[];
  out: number;
  in: number;
  /** Stored as [in, out] (x·W), so ΔW is stored transposed. */
  inputMajor: boolean;
}

/** The adapter view of a spectral layer, or null when it takes no adapter. */
export function adapterTarget(l: SpectralLayer): AdapterTarget | null {
  if (l.part !== 'unet' || (l.kind !== 'matrix' && l.kind !== 'conv')) return null;
  let inputMajor: boolean;
  if (l.kind === 'conv') {
    if (l.use !== 'Conv') return null;
    inputMajor = false;
  } else if (l.use === 'MatMul' || l.use === 'Gemm') inputMajor = true;
  else if (l.use === 'Transpose→MatMul' || l.use === 'Gemm(transB)') inputMajor = false;
  else return null;
  const [out, inn] = inputMajor ? [l.cols, l.rows] : [l.rows, l.cols];
  return { name: l.name, initializer: l.initializer, shape: l.shape, out, in: inn, inputMajor };
}

/**
 * Which layers an adapter set covers: SPM's default, the transformer blocks (diffusers'
 * `…attentions.N.…`: projections, attention, feed-forward); `conditioning`, every layer the
 * prompt reaches before the resnets' convs: the transformer blocks plus the time / added
 * (pooled-text) embedding MLPs and each resnet's `time_emb_proj`, which carry a pooled-text
 * embedding into the convs where a model has one; or every linear and conv layer of the UNet.
 */
export type AdapterScope = 'transformer' | 'conditioning' | 'all';
export const ADAPTER_SCOPES: readonly AdapterScope[] = ['transformer', 'conditioning', 'all'];

const TRANSFORMER = /(^|\.)attentions\.\d+\./;
const EMBEDDING = /(^|\.)(time_embedding|add_embedding)\.|\.time_emb_proj$/;

export function inScope(name: string, scope: AdapterScope): boolean {
  if (scope === 'all') return true;
  return TRANSFORMER.test(name) || (scope === 'conditioning' && EMBEDDING.test(name));
}

export function adapterTargets(layers: readonly SpectralLayer[], scope: AdapterScope = 'all'): AdapterTarget[] {
  return layers.map(adapterTarget).filter((t): t is AdapterTarget => t !== null && inScope(t.name, scope));
}

/**
 * ΔW in W's stored layout (row-major over the stored dims viewed as 2-D), in float64:
 * s · up · down (out × in), transposed for an input-major weight.
 */
export function storedDelta(t: AdapterTarget, up: ArrayLike<number>, down: ArrayLike<number>, rank: number, s: number, into?: Float64Array): Float64Array {
  const out = into ?? new Float64Array(t.out * t.in);
  for (let o = 0; o < t.out; o++) {
    for (let r = 0; r < rank; r++) {
      const a = s * up[o * rank + r];
      if (a === 0) continue;
      const row = r * t.in;
      if (t.inputMajor) for (let i = 0; i < t.in; i++) out[i * t.out + o] += a * down[row + i];
      else {
        const base = o * t.in;
        for (let i = 0; i < t.in; i++) out[base + i] += a * down[row + i];
      }
    }
  }
  return out;
}
