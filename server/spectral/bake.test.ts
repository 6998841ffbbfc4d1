import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../diffusion/model/index.ts';
import { latentShape, TINY_TEST_CONFIG, writeEmbeddedModel } from '../../research/embedded-model/index.ts';
import { createSession, ort } from '../onnx/index.ts';
import { shiftOverrides, shiftOverridesKeys, shiftedWeight, ShiftApplyError } from './bake.ts';
import { partGraph, readWeight } from './model-layers.ts';
import { addSpectralShifts } from './rewrite-train.ts';
import { makeShifts, zeroShifts } from './shifts.ts';
import { decomposeModel, svdCacheDir, svdLayerLengths, type SvdValue } from './svd-model.ts';
import { randomValues } from './graphs.testing.ts';

let root: string;
let model: LoadedModel;
let svd: SvdValue;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'bake-'));
  await writeEmbeddedModel(join(root, 'tiny'), TINY_TEST_CONFIG, { seed: 3 });
  model = await LoadedModel.load(join(root, 'tiny'));
  svd = (await decomposeModel(model, { parts: ['unet', 'text_encoder'], layers: 'all', nameFilter: '' })).svd;
});
afterAll(async () => {
  await model?.release();
  rmSync(root, { recursive: true, force: true });
});

/** Shifts on every other layer (the rest zero). */
function someShifts(seed: number, size = 0.3) {
  const deltas = new Map<string, Float32Array>();
  [...svd.layers.values()].forEach((l, i) => deltas.set(l.name, i % 2 ? randomValues(l.k, seed + i, size) : new Float32Array(l.k)));
  return makeShifts(model.contentHash, deltas);
}

const f32 = (d: Float32Array, dims: number[]) => new ort.Tensor('float32', d, dims);

describe('shiftOverrides (inference form)', () => {
  it('δ = 0 overrides nothing: the model runs on its own weights and session', async () => {
    const parts = await shiftOverrides(model, svd, zeroShifts(model.contentHash, svdLayerLengths(svd)), 1);
    expect(parts.map((p) => [p.part, p.overrides.size, p.key])).toEqual([['unet', 0, ''], ['text_encoder', 0, '']]);
    const s = await model.session('unet', { overrides: parts[0].overrides, overridesKey: parts[0].key });
    expect(s).toBe(await model.session('unet'));
    // Scale 0 is the same as no shift at all.
    expect((await shiftOverrides(model, svd, someShifts(1), 0)).every((p) => p.overrides.size === 0)).toBe(true);
  });

  it('overrides exactly the shifted layers with W + U·diag(ReLU(σ + s·δ) − σ)·Vᵀ', async () => {
    const shifts = someShifts(2, 2);
    const parts = await shiftOverrides(model, svd, shifts, 0.7);
    const changed = [...shifts.deltas].filter(([, d]) => d.some((v) => v !== 0)).map(([n]) => n).sort();
    expect(parts.flatMap((p) => p.layers).sort()).toEqual(changed);
    expect(parts.every((p) => p.key.startsWith('spectral:'))).toBe(true);
    for (const p of parts) {
      for (const name of p.layers) {
        const l = svd.layers.get(name)!;
        const d = shifts.deltas.get(name)!;
        const w = readWeight(model, l);
        const got = p.overrides.get(l.initializer)!;
        let max = 0;
        for (let i = 0; i < l.rows; i++) {
          for (let j = 0; j < l.cols; j++) {
            let v = 0;
            for (let r = 0; r < l.k; r++) v += l.U[i * l.k + r] * Math.max(0, l.S[r] + 0.7 * d[r]) * l.V[j * l.k + r];
            max = Math.max(max, Math.abs(got[i * l.cols + j] - v) / Math.max(1e-3, Math.abs(w[i * l.cols + j])));
          }
        }
        expect(max, name).toBeLessThan(1e-4);
      }
    }
    // Other keys for other shifts or scales; the same key for the same ones, also without baking.
    expect((await shiftOverrides(model, svd, shifts, 0.7))[0].key).toBe(parts[0].key);
    expect(await shiftOverridesKeys(model, undefined, shifts, 0.7)).toEqual(parts.map(({ part, key }) => ({ part, key })));
    expect((await shiftOverrides(model, svd, shifts, 0.8))[0].key).not.toBe(parts[0].key);
  });

  it('sampling with baked shifts matches the training graph fed the same δ', async () => {
    const shifts = someShifts(3, 0.5);
    const [unetPart] = await shiftOverrides(model, svd, shifts, 1);
    const [c, h, w] = latentShape(TINY_TEST_CONFIG);
    const feeds = {
      sample: f32(randomValues(c * h * w, 4), [1, c, h, w]),
      timestep: f32(Float32Array.of(500), [1]),
      encoder_hidden_states: f32(randomValues(4 * TINY_TEST_CONFIG.text.width, 5), [1, 4, TINY_TEST_CONFIG.text.width]),
    };
    const baked = (await (await model.session('unet', { overrides: unetPart.overrides, overridesKey: unetPart.key })).run(feeds)).out_sample.data as Float32Array;
    const tg = addSpectralShifts(partGraph(model.layout.parts.unet), svd, 'unet');
    const deltaFeeds = Object.fromEntries([...tg.deltaInputs].map(([layer, input]) => [input, f32(shifts.deltas.get(layer)!, [svd.layers.get(layer)!.k])]));
    const s = await createSession(tg.model, { cache: false });
    const trained = (await s.run({ ...feeds, ...deltaFeeds })).out_sample.data as Float32Array;
    await s.release();
    const plain = (await (await model.session('unet')).run(feeds)).out_sample.data as Float32Array;
    const amax = plain.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    let diff = 0, moved = 0;
    for (let i = 0; i < plain.length; i++) {
      diff = Math.max(diff, Math.abs(baked[i] - trained[i]));
      moved = Math.max(moved, Math.abs(baked[i] - plain[i]));
    }
    expect(moved).toBeGreaterThan(1e-3 * amax);
    expect(diff).toBeLessThan(1e-4 * amax);
  });

  it('without an SVD value, loads factors from the cache (computing and storing missing ones)', async () => {
    const cacheDir = join(root, 'cache');
    const shifts = someShifts(6, 0.4);
    const withSvd = await shiftOverrides(model, svd, shifts, 1);
    const noSvd = await shiftOverrides(model, undefined, shifts, 1, { cacheDir });
    expect(noSvd.map((p) => p.key)).toEqual(withSvd.map((p) => p.key));
    for (let i = 0; i < 2; i++) for (const [k, v] of withSvd[i].overrides) expect(noSvd[i].overrides.get(k)).toEqual(v);
    // Matrix layers with a nonzero δ got a cache file (norm scales need no SVD).
    const matrices = [...shifts.deltas].filter(([n, d]) => d.some((v) => v !== 0) && svd.layers.get(n)!.kind !== 'norm').length;
    expect(readdirSync(svdCacheDir(cacheDir, model.contentHash))).toHaveLength(matrices);
  });

  it('refuses shifts of another model, unknown layers, wrong lengths and non-finite values, naming the layer', async () => {
    const good = someShifts(7);
    const [name, d] = [...good.deltas][1];
    const other = makeShifts('0'.repeat(64), good.deltas);
    await expect(shiftOverrides(model, svd, other, 1)).rejects.toThrow(/made for model 0000.* this model is /);
    await expect(shiftOverrides(model, svd, makeShifts(model.contentHash, new Map([['nope.layer', Float32Array.of(1)]])), 1)).rejects.toThrow(/layer "nope.layer" .*not a spectral layer/);
    await expect(shiftOverrides(model, svd, makeShifts(model.contentHash, new Map([[name, new Float32Array(d.length + 1)]])), 1)).rejects.toThrow(
      new RegExp(`layer "${name.replace(/\./g, '\\.')}" has ${d.length + 1} shift values`),
    );
    const nan = d.slice();
    nan[0] = NaN;
    await expect(shiftOverrides(model, svd, makeShifts(model.contentHash, new Map([[name, nan]])), 1)).rejects.toThrow(ShiftApplyError);
    await expect(shiftOverrides(model, svd, good, Infinity)).rejects.toThrow(/finite/);
  });

  it('shiftedWeight: δ that changes no singular value gives null (W kept bit for bit)', async () => {
    const l = [...svd.layers.values()].find((x) => x.kind === 'matrix')!;
    expect(await shiftedWeight(l, readWeight(model, l), new Float32Array(l.k), 1)).toBeNull();
    // σ + s·δ clipped to 0 from both sides of a zero singular value changes nothing either.
    const zeroSigma = { ...l, S: new Float32Array(l.k) };
    expect(await shiftedWeight(zeroSigma, readWeight(model, l), new Float32Array(l.k).fill(-1), 1)).toBeNull();
  });
});
