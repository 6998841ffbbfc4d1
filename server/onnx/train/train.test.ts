import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder.ts';
import { addMseLoss } from '../autodiff/losses.ts';
import { normal, rng } from '../autodiff/gradcheck.ts';
import { createSession, ort } from '../session.ts';
import { tensorToArray } from '../tensor.ts';
import { AdamW } from './adamw.ts';
import { Trainer } from './trainer.ts';

describe('AdamW', () => {
  it('applies decoupled weight decay and bias-corrected moments', () => {
    const p = { name: 'w', dims: [2], data: Float32Array.from([1, -2]) };
    const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.01 });
    opt.step({ w: [0.5, 0.5] });
    // step 1: w·(1 − lr·wd) − lr·g/(|g| + eps)
    expect(p.data[0]).toBeCloseTo(1 * 0.999 - 0.1, 6);
    expect(p.data[1]).toBeCloseTo(-2 * 0.999 - 0.1, 6);
  });

  it('clips the global gradient norm like scaling the gradients', () => {
    const mk = () => ({ name: 'w', dims: [2], data: Float32Array.from([0.3, 0.1]) });
    const a = mk(), b = mk();
    const clipped = new AdamW([a], { lr: 0.05, maxGradNorm: 1, weightDecay: 0 });
    const plain = new AdamW([b], { lr: 0.05, weightDecay: 0 });
    expect(clipped.step({ w: [3, 4] }).gradNorm).toBeCloseTo(5, 10);
    plain.step({ w: [3 / (5 + 1e-6), 4 / (5 + 1e-6)] });
    clipped.step({ w: [0.3, -0.4] }); // under the limit: not scaled
    plain.step({ w: [0.3, -0.4] });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('uses per-group learning rates and weight decay', () => {
    const a = { name: 'unet.w', dims: [1], data: Float32Array.from([1]) };
    const s = { name: 'norm.scale', dims: [1], data: Float32Array.from([1]) };
    const opt = new AdamW([a, s], { groups: [{ match: /^norm\./, lr: 1e-6, weightDecay: 0 }, { match: ['unet.w'], lr: 1e-3 }], weightDecay: 0 });
    opt.step({ 'unet.w': [1], 'norm.scale': [1] });
    expect(1 - a.data[0]).toBeCloseTo(1e-3, 6);
    expect(1 - s.data[0]).toBeCloseTo(1e-6, 7); // float32 storage
  });
});

function regression(seed: number) {
  const rand = rng(seed);
  const b = new GraphBuilder();
  b.input('x', 'float32', [16, 3]);
  b.initializer('w', Float32Array.from({ length: 6 }, () => normal(rand) * 0.1), [3, 2]);
  b.initializer('bias', new Float32Array(2), [2]);
  b.node('Add', [b.node('MatMul', ['x', 'w']), 'bias'], {}, { output: 'y' });
  b.output('y', 'float32', [16, 2]);
  const x = Float32Array.from({ length: 48 }, () => normal(rand));
  const wTrue = [1, -2, 0.5, 3, -1, 2];
  const t = new Float32Array(32);
  for (let i = 0; i < 16; i++) for (let j = 0; j < 2; j++) t[i * 2 + j] = x[i * 3] * wTrue[j] + x[i * 3 + 1] * wTrue[2 + j] + x[i * 3 + 2] * wTrue[4 + j] + 0.5;
  return { model: addMseLoss(b.toModel(), { output: 'y', target: 't' }), feeds: { x: new ort.Tensor('float32', x, [16, 3]), t: new ort.Tensor('float32', t, [16, 2]) } };
}

describe('Trainer', () => {
  it('trains with one forward+backward session and is deterministic', async () => {
    const runOnce = async () => {
      const { model, feeds } = regression(5);
      const tr = await Trainer.create(model, { loss: 'loss', params: ['w', 'bias'], optimizer: { lr: 0.05, weightDecay: 0, maxGradNorm: 10 } });
      const losses: number[] = [];
      for (let i = 0; i < 150; i++) losses.push((await tr.step(feeds)).loss);
      const exported = tr.exportModel();
      await tr.release();
      return { losses, exported, feeds };
    };
    const a = await runOnce();
    const b = await runOnce();
    expect(a.losses).toEqual(b.losses);
    expect(a.losses[149]).toBeLessThan(a.losses[0] * 0.01);
    // The exported model carries the trained weights as initializers and reproduces the loss.
    const w = a.exported.graph!.initializer!.find((t) => t.name === 'w')!;
    expect(Array.from(tensorToArray(w) as Float32Array).map((v) => Math.round(v * 10) / 10)).toEqual([1, -2, 0.5, 3, -1, 2]);
    const s = await createSession(a.exported, { cache: false });
    const out = await s.run(a.feeds);
    expect(Number(out.loss.data[0])).toBeLessThan(a.losses[0] * 0.01);
  });
});
