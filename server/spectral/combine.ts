// Combining spectral shifts: δ' = s · Σ wᵢ·δᵢ (add: all wᵢ = 1; interpolate: α, 1 − α).
import { makeShifts, type SpectralShifts } from './shifts.ts';

export class CombineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CombineError';
  }
}

/** Weighted sum of shifts of one model; a layer missing in one input counts as zero there. */
export function combineShifts(inputs: SpectralShifts[], weights: number[], scale = 1): SpectralShifts {
  if (inputs.length === 0) throw new CombineError('combine needs at least one set of shifts');
  if (weights.length !== inputs.length) throw new CombineError(`combine got ${inputs.length} shifts but ${weights.length} weights`);
  for (const w of [...weights, scale]) if (!Number.isFinite(w)) throw new CombineError(`combine weights and scale must be finite numbers, got ${w}`);
  const hash = inputs[0].modelHash;
  inputs.forEach((s, i) => {
    if (s.modelHash !== hash) {
      throw new CombineError(`cannot combine shifts of different models: input 1 is for model ${hash}, input ${i + 1} is for model ${s.modelHash}`);
    }
  });
  const deltas = new Map<string, Float32Array>();
  const lengths = new Map<string, number>();
  inputs.forEach((s, i) => {
    for (const [layer, d] of s.deltas) {
      const len = lengths.get(layer);
      if (len !== undefined && len !== d.length) {
        throw new CombineError(`layer "${layer}" has ${len} values in one input and ${d.length} in input ${i + 1}`);
      }
      lengths.set(layer, d.length);
    }
  });
  for (const [layer, len] of lengths) {
    const acc = new Float64Array(len);
    inputs.forEach((s, i) => {
      const d = s.deltas.get(layer);
      if (!d) return;
      const w = weights[i];
      for (let j = 0; j < len; j++) acc[j] += w * d[j];
    });
    const out = new Float32Array(len);
    for (let j = 0; j < len; j++) out[j] = scale * acc[j];
    deltas.set(layer, out);
  }
  const metadata: Record<string, string> = {
    svdiff_combined: JSON.stringify({ weights, scale, inputs: inputs.length }),
  };
  if (inputs.some((s) => s.metadata.partial)) metadata.partial = 'true';
  return makeShifts(hash, deltas, metadata);
}

/** δ₁ + δ₂ + … (then scaled). */
export function addShifts(inputs: SpectralShifts[], scale = 1): SpectralShifts {
  return combineShifts(inputs, inputs.map(() => 1), scale);
}

/** α·δ₁ + (1 − α)·δ₂ (then scaled). */
export function interpolateShifts(a: SpectralShifts, b: SpectralShifts, alpha: number, scale = 1): SpectralShifts {
  return combineShifts([a, b], [alpha, 1 - alpha], scale);
}

export function scaleShifts(s: SpectralShifts, scale: number): SpectralShifts {
  return combineShifts([s], [1], scale);
}
