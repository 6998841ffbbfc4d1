// The fused attention backward: finite differences, agreement with the per-op rules, and when
// it is chosen.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../builder.ts';
import type { ModelProto, NodeProto } from '../../proto.ts';
import ort from 'onnxruntime-node';
import { createSession } from '../../session.ts';
import { differentiate } from '../differentiate.ts';
import { gradCheck, normal, rng, type GradInput } from '../gradcheck.ts';
import { MIN_HEAD_MAP } from './attention.ts';

const f32 = (shape: number[], extra: Partial<GradInput> = {}): GradInput => ({ shape, dtype: 'float32', ...extra });
const scans = (m: ModelProto) => m.graph!.node!.filter((n) => n.opType === 'Scan').length;
const perm = (r: number) => [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];

/** As torch exports scaled_dot_product_attention: q·√s and kᵀ·√s, then MatMul, Softmax, MatMul. */
function torchForm(b: GraphBuilder, r: number, extra?: (probs: string) => void): string {
  const s = b.constant([0.76], [], 'float32');
  const kt = b.node('Mul', [b.node('Transpose', ['k'], { perm: perm(r) }), s]);
  const probs = b.node('Softmax', [b.node('MatMul', [b.node('Mul', ['q', s]), kt])], { axis: -1 });
  extra?.(probs);
  return b.node('MatMul', [probs, 'v']);
}

describe('fused attention backward', () => {
  const cases: { name: string; build: (b: GraphBuilder) => string; inputs: Record<string, GradInput> }[] = [
    { name: 'torch export form (scaled q and kᵀ), rank 4', build: (b) => torchForm(b, 4), inputs: { q: f32([2, 2, 5, 3]), k: f32([2, 2, 4, 3]), v: f32([2, 2, 4, 3]) } },
    { name: 'scaled scores (Mul then Div), rank 3, value dim ≠ head dim', inputs: { q: f32([3, 5, 2]), k: f32([3, 6, 2]), v: f32([3, 6, 4]) }, build: (b) => {
      const sc = b.node('Mul', [b.node('MatMul', ['q', b.node('Transpose', ['k'], { perm: [0, 2, 1] })]), b.constant([0.577], [], 'float32')]);
      return b.node('MatMul', [b.node('Softmax', [b.node('Div', [sc, b.constant([1.3], [], 'float32')])], { axis: 2 }), 'v']);
    } },
    { name: 'only V trained (q, k fixed)', build: (b) => torchForm(b, 4), inputs: { q: f32([1, 2, 4, 3], { wrt: false }), k: f32([1, 2, 5, 3], { wrt: false }), v: f32([1, 2, 5, 2]) } },
    { name: 'only q trained (k and v fixed)', build: (b) => torchForm(b, 4), inputs: { q: f32([1, 2, 4, 3]), k: f32([1, 2, 5, 3], { wrt: false }), v: f32([1, 2, 5, 2], { wrt: false }) } },
  ];
  for (const c of cases) {
    it(`${c.name}: one Scan, matches finite differences, forward unchanged`, async () => {
      const r = await gradCheck(c.build, c.inputs, { attention: 'fused' });
      expect(scans(r.gradModel)).toBe(1);
      expect(r.checks.length).toBeGreaterThan(0);
      for (const ch of r.checks) expect(ch, `d/d${ch.input}`).toMatchObject({ ok: true });
      expect(r.outputsIdentical).toBe(true);
    });
  }

  /** Every tensor a node of `g` (or of its Scan / Loop / If bodies) reads. */
  const readsIn = (nodes: NodeProto[]): string[] => nodes.flatMap((n) => [...(n.input ?? []),
    ...(n.attribute ?? []).flatMap((a) => (a.g ? readsIn(a.g.node ?? []) : []))]);
  for (const c of cases) {
    it(`${c.name}: maps recomputed in the backward give the kept maps' gradients, and nothing in the backward reads the forward's P`, async () => {
      const b = new GraphBuilder({ opset: 18 });
      const wrt: string[] = [];
      const rand = rng(11);
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, inp] of Object.entries(c.inputs)) {
        b.input(name, 'float32', inp.shape);
        if (inp.wrt !== false) wrt.push(name);
        feeds[name] = new ort.Tensor('float32', Float32Array.from({ length: inp.shape.reduce((x, y) => x * y) }, () => normal(rand)), inp.shape);
      }
      b.node('ReduceSum', [b.node('Sin', [c.build(b)])], { keepdims: 0 }, { output: 'loss' });
      b.output('loss', 'float32', []);
      const model = b.toModel();
      const probs = model.graph!.node!.find((n) => n.opType === 'Softmax')!.output![0];
      const run = async (attentionMaps: 'keep' | 'recompute') => {
        const g = await differentiate(model, { loss: 'loss', wrt, attention: 'fused', attentionMaps });
        expect(scans(g)).toBe(1);
        const backward = g.graph!.node!.slice(model.graph!.node!.length); // after the forward's nodes
        // Keep: the Scan reads P. Recompute: no backward node does, so P dies with O = P·V.
        expect(readsIn(backward).includes(probs), attentionMaps).toBe(attentionMaps === 'keep');
        return (await createSession(g, { cache: false })).run(feeds);
      };
      const [keep, recompute] = [await run('keep'), await run('recompute')];
      expect(recompute.loss.data[0]).toBe(keep.loss.data[0]);
      for (const w of wrt) {
        const k = keep[`grad/${w}`].data as Float32Array, r = recompute[`grad/${w}`].data as Float32Array;
        const scale = Math.max(...k.map(Math.abs));
        expect(scale).toBeGreaterThan(0);
        for (let i = 0; i < k.length; i++) expect(Math.abs(r[i] - k[i]), `grad/${w}[${i}]`).toBeLessThanOrEqual(1e-6 * scale);
      }
    });
  }

  it('falls back to the per-op rules when the probabilities are read elsewhere', async () => {
    // The unmix loss reads attention maps: the softmax output has a second reader.
    const build = (b: GraphBuilder) => {
      let p = '';
      const o = torchForm(b, 4, (probs) => { p = probs; });
      return b.node('Add', [b.node('ReduceSum', [o], { keepdims: 0 }), b.node('ReduceSum', [b.node('Mul', [p, p])], { keepdims: 0 })]);
    };
    const r = await gradCheck(build, { q: f32([1, 2, 4, 3]), k: f32([1, 2, 5, 3]), v: f32([1, 2, 5, 2]) }, { attention: 'fused' });
    expect(scans(r.gradModel)).toBe(0);
    for (const ch of r.checks) expect(ch, `d/d${ch.input}`).toMatchObject({ ok: true });
  });

  it('gives the per-op rules\' gradients, and auto fuses only maps of MIN_HEAD_MAP or more', async () => {
    const model = (sq: number, sk: number) => {
      const b = new GraphBuilder({ opset: 18 });
      b.input('q', 'float32', [2, 2, sq, 4]); b.input('k', 'float32', [2, 2, sk, 4]); b.input('v', 'float32', [2, 2, sk, 3]);
      b.node('ReduceSum', [b.node('Mul', [torchForm(b, 4), b.node('Sin', [torchForm(b, 4)])])], { keepdims: 0 }, { output: 'loss' });
      b.output('loss', 'float32', []);
      return b.toModel();
    };
    const side = Math.sqrt(MIN_HEAD_MAP);
    const wrt = ['q', 'k', 'v'];
    expect(scans(await differentiate(model(side, side), { loss: 'loss', wrt }))).toBe(2);
    expect(scans(await differentiate(model(side / 2, side), { loss: 'loss', wrt }))).toBe(0);
    expect(scans(await differentiate(model(side, side), { loss: 'loss', wrt, attention: 'batched' }))).toBe(0);

    const m = model(48, 40);
    const rand = rng(7);
    const feeds: Record<string, ort.Tensor> = {};
    for (const [n, s] of [['q', 48], ['k', 40], ['v', 40]] as const) {
      const dims = [2, 2, s, n === 'v' ? 3 : 4];
      feeds[n] = new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((a, x) => a * x) }, () => normal(rand)), dims);
    }
    const run = async (attention: 'fused' | 'batched') => {
      const g = await differentiate(m, { loss: 'loss', wrt, attention });
      expect(scans(g)).toBe(attention === 'fused' ? 2 : 0);
      return (await createSession(g, { cache: false })).run(feeds);
    };
    const [fused, batched] = [await run('fused'), await run('batched')];
    expect(fused.loss.data[0]).toBe(batched.loss.data[0]);
    for (const w of wrt) {
      const a = fused[`grad/${w}`].data as Float32Array, c = batched[`grad/${w}`].data as Float32Array;
      const scale = Math.max(...c.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - c[i]), `grad/${w}[${i}]`).toBeLessThanOrEqual(1e-5 * scale);
    }
  });
});
