// Inference form of adapters: W' = W + Σᵢ cᵢ · (alpha/r) · upᵢ · downᵢ computed once on the CPU
// (float64, rounded to float32) and handed to the model as initializer overrides of the UNet,
// on top of spectral shifts' W_δ where those change the same weight. cᵢ is the adapter's
// strength times its transport rate; a step with adapters then costs what a step without does.
import { createHash } from 'node:crypto';
import { modelLayers, readWeight, shiftLayers, ShiftApplyError, type SpectralLayer, type SpectralModelRef } from '../spectral/index.ts';
import { adapterScale, type AdapterUse } from './adapter.ts';
import { adapterTarget, storedDelta, type AdapterTarget } from './layers.ts';

export class AdapterApplyError extends Error {
  override name = 'AdapterApplyError';
}

export interface AdapterOverrides {
  /** Initializer name → W' (float32, W's layout), with the base's overrides; empty when nothing changes. */
  overrides: Map<string, Float32Array>;
  /** Identifies the overrides (with the base overrides' key). */
  key: string;
  /** Layers the adapters changed. */
  layers: number;
}

/** The adapter targets of a model by layer name. */
export function modelTargets(model: SpectralModelRef): Map<string, AdapterTarget> {
  const out = new Map<string, AdapterTarget>();
  for (const l of modelLayers(model, ['unet'])) {
    const t = adapterTarget(l as SpectralLayer);
    if (t) out.set(t.name, t);
  }
  return out;
}

/** Checks that every layer of every adapter (low-rank or spectral) fits the model; throws naming the adapter and layer. */
export function checkAdapters(model: SpectralModelRef, uses: readonly AdapterUse[]): Map<string, AdapterTarget> {
  const targets = modelTargets(model);
  for (const u of uses) {
    if (!Number.isFinite(u.strength)) throw new AdapterApplyError(`${u.label}: strength must be a finite number, got ${u.strength}`);
    for (const l of u.adapter.layers.values()) {
      const t = targets.get(l.name);
      if (!t) throw new AdapterApplyError(`${u.label}: layer "${l.name}" is not an adaptable layer of this model`);
      if (t.out !== l.out || t.in !== l.in) throw new AdapterApplyError(`${u.label}: layer "${l.name}" is ${l.out}×${l.in}, the model's is ${t.out}×${t.in}`);
    }
    if (u.adapter.spectral) {
      try {
        shiftLayers(model, undefined, u.adapter.spectral.deltas);
      } catch (e) {
        if (e instanceof ShiftApplyError) throw new AdapterApplyError(`${u.label}: ${e.message}`);
        throw e;
      }
    }
  }
  return targets;
}

/**
 * Overrides applying `uses` with coefficients `coef` (one per use: strength × transport rate),
 * starting from `base` (spectral W_δ by initializer) where given, else the model's weights.
 */
export function adapterOverrides(model: SpectralModelRef, uses: readonly AdapterUse[], coef: readonly number[], base?: { overrides: ReadonlyMap<string, Float32Array>; key: string }): AdapterOverrides {
  const targets = checkAdapters(model, uses);
  const byLayer = new Map<string, { t: AdapterTarget; parts: [number, AdapterUse][] }>();
  uses.forEach((u, i) => {
    if (coef[i] === 0) return;
    for (const name of u.adapter.layers.keys()) {
      const t = targets.get(name)!;
      const e = byLayer.get(name) ?? { t, parts: [] };
      e.parts.push([coef[i], u]);
      byLayer.set(name, e);
    }
  });
  const h = createHash('sha256').update(`${model.contentHash}\0${base?.key ?? ''}\0`);
  // The base's other weights stay overridden too.
  const overrides = new Map<string, Float32Array>(base?.overrides ?? []);
  let layers = 0;
  for (const [name, { t, parts }] of [...byLayer].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const w = base?.overrides.get(t.initializer) ?? readWeight(model, { part: 'unet', initializer: t.initializer } as SpectralLayer);
    const acc = Float64Array.from(w);
    for (const [c, u] of parts) {
      const l = u.adapter.layers.get(name)!;
      storedDelta(t, l.up, l.down, l.rank, c * adapterScale(l), acc);
      h.update(`${name}\0${c}\0${l.alpha}\0${l.rank}\0`).update(bytes(l.up)).update(bytes(l.down));
    }
    overrides.set(t.initializer, Float32Array.from(acc));
    layers++;
  }
  const key = layers ? `adapters:${h.digest('hex').slice(0, 32)}` : base?.key ?? '';
  return { overrides, key, layers };
}

function bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
