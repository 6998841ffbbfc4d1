// Inference form of spectral shifts: W_δ = W + U·diag(ReLU(σ + s·δ) − σ)·Vᵀ computed once on
// the CPU (float64, rounded to float32) and handed to the model as initializer overrides, so
// a sampling step with shifts costs the same as without. Layers whose δ changes nothing get
// no override at all: δ = 0 leaves the model's own weights (and session) untouched.
import { createHash } from 'node:crypto';
import { gemm } from '../linalg/index.ts';
import { SPECTRAL_PARTS, type SpectralLayer, type SpectralPart } from './layers.ts';
import { modelLayers, readWeight, type SpectralModelRef } from './model-layers.ts';
import type { SpectralShifts } from './shifts.ts';
import { SvdCache } from './svd-cache.ts';
import { layerFactors, svdCacheDir, type SvdLayer, type SvdValue } from './svd-model.ts';

export interface PartOverrides {
  part: SpectralPart;
  /** Initializer name → W_δ (float32, W's layout). Empty when nothing in this part changes. */
  overrides: Map<string, Float32Array>;
  /** Identifies these overrides (for LoadedModel.session's overridesKey). */
  key: string;
  /** Layers overridden. */
  layers: string[];
}

export interface BakeOptions {
  /** Data folder's cache/: factors missing from `svd` are loaded from / saved to cache/svd/<modelHash>/. */
  cacheDir?: string;
  signal?: AbortSignal;
  /** Only check the shifts and compute the keys (no weights read, no overrides). */
  keysOnly?: boolean;
}

export class ShiftApplyError extends Error {
  override name = 'ShiftApplyError';
}

/**
 * Overrides per spectral part (always one entry for 'unet' and one for 'text_encoder') that
 * apply `shifts` with scale `scale`. Factors come from `svd`, else from the cache (computed
 * when missing). Throws ShiftApplyError naming the layer on any mismatch.
 */
export async function shiftOverrides(model: SpectralModelRef, svd: SvdValue | undefined, shifts: SpectralShifts, scale = 1, opts: BakeOptions = {}): Promise<PartOverrides[]> {
  if (!Number.isFinite(scale)) throw new ShiftApplyError(`shift scale must be a finite number, got ${scale}`);
  if (shifts.modelHash !== model.contentHash) throw new ShiftApplyError(`the shifts were made for model ${shifts.modelHash}, this model is ${model.contentHash}`);
  if (svd && svd.modelHash !== model.contentHash) throw new ShiftApplyError(`the SVD was made for model ${svd.modelHash}, this model is ${model.contentHash}`);
  const cache = opts.cacheDir ? new SvdCache(svdCacheDir(opts.cacheDir, model.contentHash)) : undefined;
  const result = new Map<SpectralPart, PartOverrides>(SPECTRAL_PARTS.map((p) => [p, { part: p, overrides: new Map(), key: '', layers: [] }]));
  const keyed = new Map<SpectralPart, [string, Float32Array][]>(SPECTRAL_PARTS.map((p) => [p, []]));

  for (const [name, delta, layer] of shiftLayers(model, svd, shifts.deltas)) {
    opts.signal?.throwIfAborted();
    if (scale === 0 || delta.every((v) => v === 0)) continue;
    keyed.get(layer.part)!.push([name, delta]);
    if (opts.keysOnly) continue;
    const w = readWeight(model, layer);
    const factors: SvdLayer = 'U' in layer ? (layer as SvdLayer) : (await layerFactors(layer, () => w, cache)).factors;
    const wd = await shiftedWeight(factors, w, delta, scale);
    if (!wd) continue;
    const entry = result.get(layer.part)!;
    entry.overrides.set(layer.initializer, wd);
    entry.layers.push(name);
  }
  for (const [part, entry] of result) entry.key = overridesKey(model.contentHash, part, scale, keyed.get(part)!);
  return [...result.values()];
}

/**
 * W + U·diag(ReLU(σ + s·δ) − σ)·Vᵀ in float64 over the singular values that change, rounded
 * to float32; null when none changes (then W_δ = W exactly).
 */
export async function shiftedWeight(f: SvdLayer, w: Float32Array, delta: Float32Array, scale: number): Promise<Float32Array | null> {
  const keep: number[] = [];
  const d: number[] = [];
  for (let r = 0; r < f.k; r++) {
    const v = Math.max(0, f.S[r] + scale * delta[r]) - f.S[r];
    if (v !== 0) {
      keep.push(r);
      d.push(v);
    }
  }
  if (keep.length === 0) return null;
  const p = keep.length;
  // Once each: a layer left in the SVD cache file reads them from disk on access.
  const U = f.U;
  const V = f.V;
  const A = new Float64Array(f.rows * p);
  for (let i = 0; i < f.rows; i++) for (let j = 0; j < p; j++) A[i * p + j] = U[i * f.k + keep[j]] * d[j];
  const B = new Float64Array(f.cols * p);
  for (let i = 0; i < f.cols; i++) for (let j = 0; j < p; j++) B[i * p + j] = V[i * f.k + keep[j]];
  const sum = await gemm({ A, B, m: f.rows, k: p, n: f.cols, transB: true, C: Float64Array.from(w) });
  return Float32Array.from(sum);
}

/**
 * Each layer of `deltas` resolved on the model (on `svd`'s factors where given) and checked: a
 * spectral layer of this model, as many values as it has singular values, all finite. Throws
 * ShiftApplyError naming the layer. Shift files and spectral adapters are checked by this alone.
 */
export function shiftLayers(model: SpectralModelRef, svd: SvdValue | undefined, deltas: ReadonlyMap<string, Float32Array>): [string, Float32Array, SpectralLayer][] {
  let graphLayers: Map<string, SpectralLayer> | undefined;
  const out: [string, Float32Array, SpectralLayer][] = [];
  for (const [name, delta] of deltas) {
    const layer: SpectralLayer | undefined = svd?.layers.get(name) ?? (graphLayers ??= new Map(modelLayers(model).map((l) => [l.name, l]))).get(name);
    if (!layer) throw new ShiftApplyError(`layer "${name}" of the shifts is not a spectral layer of this model`);
    if (delta.length !== layer.k) throw new ShiftApplyError(`layer "${name}" has ${delta.length} shift values; the model's layer has ${layer.k} singular values`);
    for (let i = 0; i < delta.length; i++) {
      if (!Number.isFinite(delta[i])) throw new ShiftApplyError(`layer "${name}": δ[${i}] is ${delta[i]}`);
    }
    out.push([name, delta, layer]);
  }
  return out;
}

/**
 * The keys shiftOverrides would give, without baking anything (cheap): a caller holding a
 * session for a key can skip the bake. '' for a part with nothing to change.
 */
export async function shiftOverridesKeys(model: SpectralModelRef, svd: SvdValue | undefined, shifts: SpectralShifts, scale = 1): Promise<{ part: SpectralPart; key: string }[]> {
  return (await shiftOverrides(model, svd, shifts, scale, { keysOnly: true })).map(({ part, key }) => ({ part, key }));
}

function overridesKey(modelHash: string, part: string, scale: number, layers: [string, Float32Array][]): string {
  if (layers.length === 0) return '';
  const h = createHash('sha256').update(`${modelHash}\0${part}\0${scale}\0`);
  for (const [name, d] of [...layers].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    h.update(`${name}\0${d.length}\0`);
    h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return `spectral:${h.digest('hex').slice(0, 32)}`;
}
