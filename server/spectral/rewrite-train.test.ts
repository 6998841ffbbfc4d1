import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEmbeddedParts, latentShape, TINY_TEST_CONFIG } from '../../research/embedded-model/index.ts';
import { createSession, differentiate, GraphBuilder, makeValueInfo, ort, type ModelProto } from '../onnx/index.ts';
import { float32ToHalf } from '../diffusion/model/index.ts';
import { addSpectralShifts } from './rewrite-train.ts';
import { decomposeGraph, type SvdLayer } from './svd-model.ts';
import { buildTestGraph, randomValues, TEST_INPUT, TEST_INPUT_SHAPE } from './graphs.testing.ts';

const f32 = (data: Float32Array, dims: readonly number[]) => new ort.Tensor('float32', data, dims);
type Opt = 'disabled' | 'basic' | 'extended' | 'all';

async function run(model: ModelProto, feeds: Record<string, ort.Tensor>, optimization: Opt = 'all') {
  const s = await createSession(model, { cache: false, optimization });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

function deltaFeeds(layers: Iterable<SvdLayer>, names: Map<string, string>, fill: (l: SvdLayer, i: number) => Float32Array) {
  const feeds: Record<string, ort.Tensor> = {};
  let i = 0;
  for (const l of layers) feeds[names.get(l.name)!] = f32(fill(l, i++), [l.k]);
  return feeds;
}

/** W_δ computed directly in float64: U·diag(ReLU(σ + s·δ))·Vᵀ (the non-residual form). */
function directWd(l: SvdLayer, delta: Float32Array, s: number): Float64Array {
  const out = new Float64Array(l.rows * l.cols);
  for (let r = 0; r < l.k; r++) {
    const sig = Math.max(0, l.S[r] + s * delta[r]);
    for (let i = 0; i < l.rows; i++) {
      const u = l.U[i * l.k + r] * sig;
      for (let j = 0; j < l.cols; j++) out[i * l.cols + j] += u * l.V[j * l.k + r];
    }
  }
  return out;
}

function initializerValues(model: ModelProto, name: string): Float32Array {
  const t = model.graph!.initializer!.find((x) => x.name === name)!;
  const b = new Uint8Array(t.rawData!);
  return new Float32Array(b.buffer, 0, b.byteLength / 4);
}

describe('training form', () => {
  const x = f32(randomValues(TEST_INPUT_SHAPE.reduce((a, b) => a * b, 1), 7), TEST_INPUT_SHAPE);

  it('δ = 0 reproduces W bit for bit and leaves the outputs unchanged', async () => {
    const model = buildTestGraph();
    const { svd } = await decomposeGraph(model, 'unet', 'h');
    expect(svd.layers.size).toBe(7);
    const tg = addSpectralShifts(model, svd, 'unet');
    // Expose every W_δ to compare it with W.
    tg.model.graph!.output!.push(...[...tg.factors.values()].map(({ wd: n }) => makeValueInfo(n, 'float32')));
    const feeds = { [TEST_INPUT]: x, ...deltaFeeds(svd.layers.values(), tg.deltaInputs, (l) => new Float32Array(l.k)) };
    for (const opt of ['disabled', 'all'] as const) {
      const base = await run(model, { [TEST_INPUT]: x }, opt);
      const out = await run(tg.model, feeds, opt);
      expect(out.y.data).toEqual(base.y.data);
      for (const [layer, { wd }] of tg.factors) {
        expect(out[wd].data, layer).toEqual(initializerValues(model, svd.layers.get(layer)!.initializer));
      }
    }
  });

  it('the in-graph W_δ equals a direct computation U·diag(ReLU(σ + s·δ))·Vᵀ, for several scales', async () => {
    const model = buildTestGraph(2);
    const { svd } = await decomposeGraph(model, 'unet', 'h');
    for (const s of [1, 0.5, -2]) {
      const tg = addSpectralShifts(model, svd, 'unet', { scale: s });
      tg.model.graph!.output!.push(...[...tg.factors.values()].map(({ wd: n }) => makeValueInfo(n, 'float32')));
      const deltas = new Map<string, Float32Array>();
      // Large enough that some σ + s·δ go negative (ReLU clips them).
      const feeds = deltaFeeds(svd.layers.values(), tg.deltaInputs, (l, i) => {
        const d = randomValues(l.k, 50 + i, 1.5);
        deltas.set(l.name, d);
        return d;
      });
      const out = await run(tg.model, { [TEST_INPUT]: x, ...feeds });
      let clipped = 0;
      for (const l of svd.layers.values()) {
        const want = directWd(l, deltas.get(l.name)!, s);
        const got = out[tg.factors.get(l.name)!.wd].data as Float32Array;
        expect(got.length).toBe(want.length);
        const scale = Math.max(...want.map(Math.abs), 1e-3);
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${l.name}[${i}] s=${s}`).toBeLessThan(2e-5 * scale);
        clipped += [...l.S].filter((sig, r) => sig + s * deltas.get(l.name)![r] < 0).length;
      }
      expect(clipped).toBeGreaterThan(0);
    }
  });

  it('factors left in the SVD cache files enter the graph as external data, without W: the same W_δ to float32 rounding', async () => {
    const model = buildTestGraph(2);
    const cacheDir = mkdtempSync(join(tmpdir(), 'svd-stored-'));
    try {
      const inMemory = (await decomposeGraph(model, 'unet', 'h')).svd;
      const stored = (await decomposeGraph(model, 'unet', 'h', {}, { cacheDir, inMemoryBytes: 0 })).svd;
      const results = [];
      for (const svd of [inMemory, stored]) {
        const tg = addSpectralShifts(model, svd, 'unet', { scale: 1 });
        tg.model.graph!.output!.push(...[...tg.factors.values()].map(({ wd: n }) => makeValueInfo(n, 'float32')));
        const feeds = deltaFeeds(svd.layers.values(), tg.deltaInputs, (l, i) => randomValues(l.k, 70 + i, 0.5));
        results.push({ tg, out: await run(tg.model, { [TEST_INPUT]: x, ...feeds }) });
      }
      const storedLayers = [...stored.layers.values()].filter((l) => l.stored);
      const external = (results[1].tg.model.graph!.initializer ?? []).filter((t) => t.dataLocation === 1);
      expect(external.length).toBe(2 * storedLayers.length);
      // W is read by no node of the graph where its layer's factors stay in the files.
      const read = new Set((results[1].tg.model.graph!.node ?? []).flatMap((n) => n.input ?? []));
      const inits = new Set((results[1].tg.model.graph!.initializer ?? []).map((t) => t.name));
      for (const l of storedLayers) expect([read.has(l.initializer), inits.has(l.initializer)], l.name).toEqual([false, false]);
      for (const [layer, { wd: name }] of results[0].tg.factors) {
        const want = results[0].out[name].data as Float32Array;
        const got = results[1].out[results[1].tg.factors.get(layer)!.wd].data as Float32Array;
        const scale = Math.max(...want.map(Math.abs));
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${layer}[${i}]`).toBeLessThan(1e-5 * scale);
      }
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('the gradient w.r.t. δ matches finite differences', async () => {
    const model = buildTestGraph(3);
    const { svd } = await decomposeGraph(model, 'unet', 'h');
    const tg = addSpectralShifts(model, svd, 'unet');
    // loss = Σ y·r, r fixed.
    const g = tg.model.graph!;
    const b = new GraphBuilder();
    b.reserve([...(g.node ?? []).flatMap((n) => [...(n.output ?? []), n.name ?? '']), ...(g.initializer ?? []).map((t) => t.name!), ...(g.input ?? []).map((v) => v.name!)]);
    const r = b.constant(randomValues(6, 9), [2, 3], 'float32', 'proj');
    b.node('ReduceSum', [b.node('Mul', ['y', r])], { keepdims: 0 }, { output: 'loss' });
    g.node = [...g.node!, ...b.nodes];
    g.initializer = [...g.initializer!, ...b.initializers];
    g.output = [...g.output!, makeValueInfo('loss', 'float32', [])];
    const wrt = [...tg.deltaInputs.values()];
    const gm = await differentiate(tg.model, { loss: 'loss', wrt });
    const deltas = new Map<string, Float32Array>();
    const feeds = deltaFeeds(svd.layers.values(), tg.deltaInputs, (l, i) => {
      const d = randomValues(l.k, 70 + i, 0.05);
      deltas.set(l.name, d);
      return d;
    });
    const grads = await run(gm, { [TEST_INPUT]: x, ...feeds }, 'basic');
    const fwd = await createSession(tg.model, { cache: false, optimization: 'basic' });
    const loss = async (f: Record<string, ort.Tensor>) => Number((await fwd.run({ [TEST_INPUT]: x, ...f })).loss.data[0]);
    const eps = 1e-2;
    for (const l of svd.layers.values()) {
      const name = tg.deltaInputs.get(l.name)!;
      const grad = grads[`grad/${name}`].data as Float32Array;
      expect(grad.some((v) => v !== 0), l.name).toBe(true);
      const v = randomValues(l.k, 99, 1);
      const analytic = grad.reduce((a, gi, i) => a + gi * v[i], 0);
      const d = deltas.get(l.name)!;
      const plus = await loss({ ...feeds, [name]: f32(d.map((di, i) => di + eps * v[i]), [l.k]) });
      const minus = await loss({ ...feeds, [name]: f32(d.map((di, i) => di - eps * v[i]), [l.k]) });
      const numeric = (plus - minus) / (2 * eps);
      expect(Math.abs(analytic - numeric), `${l.name}: ${analytic} vs ${numeric}`).toBeLessThan(5e-3 * Math.max(1, Math.abs(numeric)));
    }
    await fwd.release();
  });

  it('δ = 0 leaves the embedded UNet output unchanged', async () => {
    const unet = buildEmbeddedParts(TINY_TEST_CONFIG, 4).unet;
    const { svd } = await decomposeGraph(unet, 'unet', 'h');
    const tg = addSpectralShifts(unet, svd, 'unet');
    expect(tg.deltaInputs.size).toBe(svd.layers.size);
    const [c, h, w] = latentShape(TINY_TEST_CONFIG);
    const feeds = {
      sample: f32(randomValues(2 * c * h * w, 1), [2, c, h, w]),
      timestep: f32(Float32Array.of(10, 700), [2]),
      encoder_hidden_states: f32(randomValues(2 * 4 * TINY_TEST_CONFIG.text.width, 2), [2, 4, TINY_TEST_CONFIG.text.width]),
    };
    const zeros = deltaFeeds(svd.layers.values(), tg.deltaInputs, (l) => new Float32Array(l.k));
    // Bit-identical up to 'extended'. At 'all', ORT re-lays out convs whose weights are constants
    // (NCHWc), which it cannot do for W_δ: same weights, other summation order, rounding-level differences.
    const base = await run(unet, feeds, 'extended');
    expect((await run(tg.model, { ...feeds, ...zeros }, 'extended')).out_sample.data).toEqual(base.out_sample.data);
    const a = base.out_sample.data as Float32Array;
    const z = (await run(tg.model, { ...feeds, ...zeros }, 'all')).out_sample.data as Float32Array;
    const amax = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - z[i])).toBeLessThan(1e-5 * amax);
    const shifted = await run(tg.model, { ...feeds, ...deltaFeeds(svd.layers.values(), tg.deltaInputs, (l, i) => randomValues(l.k, i, 0.1)) });
    expect(shifted.out_sample.data).not.toEqual(base.out_sample.data);
  });

  it('refuses an SVD value made for a different graph', async () => {
    const { svd } = await decomposeGraph(buildTestGraph(), 'unet', 'h');
    const other = buildTestGraph();
    other.graph!.initializer = other.graph!.initializer!.filter((t) => t.name !== 'lin.weight');
    expect(() => addSpectralShifts(other, svd, 'unet')).toThrow(/no initializer lin\.weight \(layer lin\)/);
  });
});

describe('training form on float16 weights', () => {
  it('casts W to float32 for the shift and back: δ = 0 gives W_δ = W and the same outputs', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float16', [2, 6]);
    const w16 = float32ToHalf(randomValues(6 * 4, 11, 0.5));
    g.initializer('lin.weight', w16, [6, 4], 'float16');
    g.node('MatMul', [x, 'lin.weight'], {}, { output: 'y' });
    g.output('y', 'float16', [2, 4]);
    const model = g.toModel();
    const { svd } = await decomposeGraph(model, 'unet', 'h');
    expect(svd.layers.get('lin')!.k).toBe(4);
    const tg = addSpectralShifts(model, svd, 'unet');
    tg.model.graph!.output!.push(makeValueInfo(tg.factors.get('lin')!.wd, 'float16'));
    const xs = new ort.Tensor('float16', float32ToHalf(randomValues(12, 12)), [2, 6]);
    const base = await run(model, { x: xs });
    const zero = await run(tg.model, { x: xs, 'delta/lin': f32(new Float32Array(4), [4]) });
    expect(zero.y.data).toEqual(base.y.data);
    expect(zero[tg.factors.get('lin')!.wd].data).toEqual(w16);
    const moved = await run(tg.model, { x: xs, 'delta/lin': f32(Float32Array.of(0.5, -0.5, 0.2, 0), [4]) });
    expect(moved.y.data).not.toEqual(base.y.data);
  });
});

describe('constant-folded GroupNorm scale ([C, 1, 1], as torch exports SD)', () => {
  it('is a norm layer named from its Mul node; δ = 0 exact, δ scales it by ReLU(‖w‖ + δ)/‖w‖', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [1, 4, 2, 2]);
    const shape = g.node('Shape', [x]);
    const grouped = g.node('Reshape', [x, g.ints([0, 2, -1])]);
    const normed = g.node('Reshape', [g.node('InstanceNormalization', [grouped, g.constant([1, 1], [2]), g.constant([0, 0], [2])], { epsilon: 1e-5 }), shape]);
    const w = Float32Array.of(0.5, -1, 2, 1.5);
    g.initializer('onnx::Mul_5', w, [4, 1, 1]);
    g.node('Mul', [normed, 'onnx::Mul_5'], {}, { name: '/blk/norm1/Mul', output: 'y' });
    g.output('y', 'float32', [1, 4, 2, 2]);
    const model = g.toModel();
    const { svd } = await decomposeGraph(model, 'unet', 'h');
    const l = svd.layers.get('blk.norm1')!;
    expect([l.kind, l.rows, l.cols, l.k, l.shape]).toEqual(['norm', 1, 4, 1, [4, 1, 1]]);
    const tg = addSpectralShifts(model, svd, 'unet');
    tg.model.graph!.output!.push(makeValueInfo(tg.factors.get('blk.norm1')!.wd, 'float32'));
    const xs = f32(randomValues(16, 3), [1, 4, 2, 2]);
    const base = await run(model, { x: xs });
    const zero = await run(tg.model, { x: xs, 'delta/blk.norm1': f32(Float32Array.of(0), [1]) });
    expect(zero.y.data).toEqual(base.y.data);
    const moved = (await run(tg.model, { x: xs, 'delta/blk.norm1': f32(Float32Array.of(1), [1]) }))[tg.factors.get('blk.norm1')!.wd];
    expect(moved.dims).toEqual([4, 1, 1]);
    const norm = Math.hypot(...w);
    (moved.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo((w[i] * (norm + 1)) / norm, 5));
  });
});
