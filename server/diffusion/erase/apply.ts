// Weight edits on a sampler: spectral shifts (SHIFTS × shift_scale) and adapters (ADAPTER), baked
// once per call into UNet/text-encoder initializer overrides, so denoising steps cost the same as
// without. Each adapter's coefficient is its strength × (with facilitated transport) the prompt's
// transport rate γ against the adapter's concepts. Spectral adapters add their δ (× coefficient)
// to the shifts' before W_δ is baked; low-rank adapters are added on top of W_δ.
import { adapterOverrides, checkAdapters, transportRate, type AdapterStack, type EncodedText } from '../../adapters/index.ts';
import { combineShifts, makeShifts, shiftOverrides, type SpectralShifts } from '../../spectral/index.ts';
import type { LoadedModel } from '../model/index.ts';
import { encodeText, type PartOverride } from '../pipeline/index.ts';

export interface WeightEdits {
  shifts?: SpectralShifts;
  shiftScale?: number;
  adapters?: AdapterStack;
  /** The prompt transport rates are measured against. */
  prompt: string;
  /** Facilitated transport (default on): off applies every adapter at its strength. */
  transport?: boolean;
}

export interface AppliedEdits {
  overrides: PartOverride[];
  /** Coefficient of each adapter (strength × γ), in stack order. */
  coefficients: number[];
  rates: number[];
}

// Encoded concept and empty prompts, per model: the same few texts come back on every sampling
// call, so the text encoder runs once for each (bounded; oldest dropped).
const ENCODED_KEEP = 64;
const encodedCache = new WeakMap<LoadedModel, Map<string, EncodedText>>();

async function encoded(model: LoadedModel, prompts: readonly string[], keep = false): Promise<EncodedText[]> {
  const cache = encodedCache.get(model) ?? new Map<string, EncodedText>();
  encodedCache.set(model, cache);
  const missing = [...new Set(prompts.filter((p) => !cache.has(p)))];
  const fresh = new Map<string, EncodedText>();
  if (missing.length) {
    const e = await encodeText(model, missing);
    const per = e.data.length / missing.length;
    missing.forEach((p, i) => fresh.set(p, { tokens: model.tokenizer.idsOf(p), states: e.data.slice(i * per, (i + 1) * per) }));
  }
  if (keep) {
    for (const [p, v] of fresh) cache.set(p, v);
    while (cache.size > ENCODED_KEEP) cache.delete(cache.keys().next().value!);
  }
  return prompts.map((p) => cache.get(p) ?? fresh.get(p)!);
}

/** γ of each adapter of `stack` for `prompt` (1 for an adapter that names no concepts). */
export async function transportRates(model: LoadedModel, stack: AdapterStack, prompt: string): Promise<number[]> {
  const [p] = await encoded(model, [prompt]);
  const [empty] = await encoded(model, [''], true);
  const out: number[] = [];
  for (const u of stack.uses) {
    if (u.adapter.concepts.length === 0) { out.push(1); continue; }
    out.push(transportRate(p, await encoded(model, u.adapter.concepts, true), empty.states));
  }
  return out;
}

export async function applyWeightEdits(model: LoadedModel, e: WeightEdits, opts: { cacheDir?: string; signal?: AbortSignal } = {}): Promise<AppliedEdits> {
  const uses = e.adapters?.uses ?? [];
  // Misfits are the adapters' to report, before their δ meet the shifts' in one sum.
  checkAdapters(model, uses);
  const rates = uses.length && e.transport !== false ? await transportRates(model, e.adapters!, e.prompt) : uses.map(() => 1);
  const coefficients = uses.map((u, i) => u.strength * rates[i]);
  // δ of the shifts and of spectral adapters, summed (δ of a spectral adapter made on another base
  // of the same architecture applies to this model's own singular values).
  const parts: SpectralShifts[] = [];
  const weights: number[] = [];
  if (e.shifts) { parts.push(e.shifts); weights.push(e.shiftScale ?? 1); }
  uses.forEach((u, i) => {
    if (u.adapter.spectral && coefficients[i] !== 0) { parts.push(u.adapter.spectral); weights.push(coefficients[i]); }
  });
  let overrides: PartOverride[] = [];
  if (parts.length) {
    const rehashed = parts.map((p) => (p === e.shifts ? p : makeShifts(e.shifts?.modelHash ?? model.contentHash, p.deltas)));
    const sum = parts.length === 1 && e.shifts ? e.shifts : combineShifts(rehashed, weights);
    const scale = parts.length === 1 && e.shifts ? (e.shiftScale ?? 1) : 1;
    overrides = (await shiftOverrides(model, undefined, sum, scale, { cacheDir: opts.cacheDir, signal: opts.signal })).filter((p) => p.overrides.size > 0);
  }
  const lowRank = uses.map((u, i) => (u.adapter.layers.size ? coefficients[i] : 0));
  if (lowRank.some((c) => c !== 0)) {
    const base = overrides.find((o) => o.part === 'unet');
    const a = adapterOverrides(model, uses, lowRank, base);
    overrides = [...overrides.filter((o) => o.part !== 'unet'), { part: 'unet', overrides: a.overrides, key: a.key }];
  }
  return { overrides, coefficients, rates };
}
