import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder, readTensorBytes } from '../onnx/index.ts';
import { weightValues } from './layers.ts';
import { decomposeGraph, POOL_MIN_ELEMENTS, svdCacheDir, type SvdLayer } from './svd-model.ts';
import { buildTestGraph, randomValues } from './graphs.testing.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'svdmodel-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function reconstruct(l: SvdLayer): Float64Array {
  const out = new Float64Array(l.rows * l.cols);
  for (let r = 0; r < l.k; r++) for (let i = 0; i < l.rows; i++) for (let j = 0; j < l.cols; j++) out[i * l.cols + j] += l.U[i * l.k + r] * l.S[r] * l.V[j * l.k + r];
  return out;
}

describe('decompose', () => {
  it('U·diag(σ)·Vᵀ gives back each weight in its stored layout; σ descending and ≥ 0; norms: σ = ‖w‖', async () => {
    const model = buildTestGraph(5);
    const { svd, stats } = await decomposeGraph(model, 'unet', 'h');
    expect(stats).toMatchObject({ layers: 7, computed: 7, fromCache: 0 });
    for (const l of svd.layers.values()) {
      const t = model.graph!.initializer!.find((x) => x.name === l.initializer)!;
      const w = weightValues(t, readTensorBytes(t));
      const back = reconstruct(l);
      const scale = Math.max(...w.map(Math.abs));
      for (let i = 0; i < w.length; i++) expect(Math.abs(back[i] - w[i]), l.name).toBeLessThan(1e-5 * scale);
      for (let r = 1; r < l.k; r++) expect(l.S[r]).toBeLessThanOrEqual(l.S[r - 1]);
      expect(l.S.every((s) => s >= 0)).toBe(true);
      if (l.kind === 'norm') expect(l.S[0]).toBeCloseTo(Math.hypot(...w), 5);
    }
    expect(svd.byteSize).toBe([...svd.layers.values()].reduce((n, l) => n + 4 * (l.U.length + l.S.length + l.V.length), 0));
  });

  it('caches matrix factors per model hash and layer; a damaged file is recomputed', async () => {
    const cacheDir = tmp();
    const model = buildTestGraph(6);
    const first = await decomposeGraph(model, 'unet', 'abc', {}, { cacheDir });
    const files = readdirSync(svdCacheDir(cacheDir, 'abc'));
    expect(files).toHaveLength(5);
    const second = await decomposeGraph(model, 'unet', 'abc', {}, { cacheDir });
    expect(second.stats).toMatchObject({ fromCache: 5, computed: 2 });
    for (const [n, l] of first.svd.layers) expect(second.svd.layers.get(n)!.V).toEqual(l.V);
    // Another selection reuses the same files.
    expect((await decomposeGraph(model, 'unet', 'abc', { layers: 'attention' }, { cacheDir })).stats).toMatchObject({ layers: 1, fromCache: 1 });
    writeFileSync(join(svdCacheDir(cacheDir, 'abc'), files[0]), 'garbage');
    const third = await decomposeGraph(model, 'unet', 'abc', {}, { cacheDir });
    expect(third.stats.corrupt).toHaveLength(1);
    expect(third.stats.fromCache).toBe(4);
  });

  it('a selection past IN_MEMORY_FACTOR_BYTES leaves U and V in the cache files, read back on access', async () => {
    const cacheDir = tmp();
    const model = buildTestGraph(6);
    const held = (await decomposeGraph(model, 'unet', 'big')).svd;
    for (const from of ['computed', 'cache']) {
      const { svd } = await decomposeGraph(model, 'unet', 'big', {}, { cacheDir, inMemoryBytes: 0 });
      let stored = 0;
      for (const [name, l] of svd.layers) {
        const h = held.layers.get(name)!;
        expect(l.S, `${from} ${name}`).toEqual(h.S);
        expect(l.U).toEqual(h.U);
        expect(l.V).toEqual(h.V);
        if (l.stored) stored++;
        else expect(l.kind).toBe('norm');
      }
      expect(stored, from).toBe(5);
      // The value holds σ (and the norms' small factors), not U and V.
      const norms = [...svd.layers.values()].filter((l) => !l.stored);
      expect(svd.byteSize).toBe([...svd.layers.values()].reduce((n, l) => n + 4 * l.S.length, 0) + norms.reduce((n, l) => n + 4 * (l.U.length + l.V.length), 0));
    }
  });

  it('stops between layers when aborted', async () => {
    const ac = new AbortController();
    let seen = 0;
    const p = decomposeGraph(buildTestGraph(), 'unet', 'h', {}, { signal: ac.signal, onLayer: (done) => { seen = done; if (done === 2) ac.abort(); } });
    await expect(p).rejects.toThrow(/abort/i);
    expect(seen).toBe(2);
  });

  it('large matrices go to a worker pool with the same result', async () => {
    const n = 48;
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [1, n]);
    g.node('MatMul', [x, g.initializer('big.weight', randomValues(n * n, 1, 0.05), [n, n])], {}, { output: 'y' });
    g.output('y', 'float32', [1, n]);
    const m = g.toModel();
    const local = await decomposeGraph(m, 'unet', 'h');
    const pooled = await decomposeGraph(m, 'unet', 'h', {}, { workers: 2, poolMinElements: 1000 });
    expect(POOL_MIN_ELEMENTS).toBeGreaterThan(n * n);
    expect(pooled.svd.layers.get('big')!.S).toEqual(local.svd.layers.get('big')!.S);
  });
});
