import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../storage.ts';
import { CheckpointStore } from './checkpoint.ts';
import { ShiftTrainer, trainShifts } from './loop.ts';
import { disc, tinyModel, tinySettings } from './model.testing.ts';

describe('spectral-shift training loop (tiny embedded model)', () => {
  it('loss on fixed batches decreases over a short run; only δ changes', async () => {
    const { model, svd } = await tinyModel();
    const t = await ShiftTrainer.create({ model, svd, settings: tinySettings({ steps: 40, batchSize: 2 }) });
    try {
      const evalSteps = [1000, 1001, 1002, 1003];
      const before = await Promise.all(evalSteps.map((s) => t.evaluate(s)));
      const r = await t.train();
      const after = await Promise.all(evalSteps.map((s) => t.evaluate(s)));
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      expect(r.stepsDone).toBe(40);
      expect(r.partial).toBe(false);
      expect(mean(after)).toBeLessThan(mean(before) * 0.9);
      expect([...r.deltas.values()].some((d) => d.some((v) => v !== 0))).toBe(true);
      expect(r.trainedParameters).toBe([...svd.layers.values()].reduce((a, l) => a + l.k, 0));
    } finally {
      await t.release();
    }
  }, 120_000);

  it('interrupt + resume from checkpoint equals the uninterrupted run', async () => {
    const { model, svd } = await tinyModel();
    const settings = tinySettings({ steps: 8, checkpointEvery: 3, randomCrop: true, randomFlip: true, priorWeight: 0.5 });
    const classImages = [[disc(16, [0, 0, 1]), disc(16, [0, 1, 0])]];
    const straight = await trainShifts({ model, svd, settings, classImages });

    const dir = mkdtempSync(join(tmpdir(), 'ckpt-run-'));
    const store = new CheckpointStore(dir, writeFileAtomic);
    const ac = new AbortController();
    const first = await trainShifts({ model, svd, settings, classImages, checkpoints: store, signal: ac.signal, onStep: (r) => r.step === 5 && ac.abort() });
    expect(first.partial).toBe(true);
    expect(first.stopped?.reason).toBe('interrupted');
    expect(first.stepsDone).toBe(5);
    expect(await store.steps()).toEqual([3, 5]);
    const logs: string[] = [];
    const second = await trainShifts({ model, svd, settings, classImages, checkpoints: store, log: (m) => logs.push(m) });
    expect(second.resumedFrom).toBe(5);
    expect(logs.join()).toMatch(/resuming from the checkpoint at step 5/);
    expect(second.stopped).toBeUndefined();
    // Bit-identical: same batches (per-step streams), same δ and AdamW moments from the checkpoint.
    for (const [layer, d] of straight.deltas) expect(Array.from(second.deltas.get(layer)!)).toEqual(Array.from(d));
  }, 120_000);

  it('a NaN loss stops training and keeps the last good shifts', async () => {
    const { model, svd } = await tinyModel();
    const image = disc(16, [1, 0, 0]);
    const settings = tinySettings({ steps: 6, subjects: [{ images: [image], prompt: 'a sks heart', classPrompt: '', identifier: 'sks' }] });
    const snapshots: Float32Array[][] = [];
    const t = await ShiftTrainer.create({
      model, svd, settings,
      onStep: (s) => {
        snapshots.push([...t.deltas.values()].map((d) => d.slice()));
        // Poison the only image after step 2: step 3's batch has a NaN pixel, so a NaN loss.
        if (s.step === 2) image.data[0] = Number.NaN;
      },
    });
    try {
      const r = await t.train();
      expect(r.partial).toBe(true);
      expect(r.stopped?.reason).toBe('nan');
      expect(r.stopped?.message).toMatch(/loss became NaN at step 3; kept the shifts of step 2/);
      expect(r.stepsDone).toBe(2);
      expect([...r.deltas.values()].map((d) => Array.from(d))).toEqual(snapshots[1].map((d) => Array.from(d)));
    } finally {
      await t.release();
    }
  }, 120_000);

  it('unet+text_encoder: one graph, δ of both parts get gradients', async () => {
    const { model, svdTe } = await tinyModel();
    const r = await trainShifts({ model, svd: svdTe, settings: tinySettings({ steps: 3, parts: 'unet+text_encoder' }) });
    const moved = (d: Map<string, Float32Array>, part: string) => [...svdTe.layers.values()].filter((l) => l.part === part && l.kind !== 'norm').some((l) => d.get(l.name)!.some((v) => v !== 0));
    expect(moved(r.deltas, 'unet')).toBe(true);
    expect(moved(r.deltas, 'text_encoder')).toBe(true);
    expect(r.trainedParameters).toBe([...svdTe.layers.values()].reduce((a, l) => a + l.k, 0));
    // The text encoder's matrix shifts have their own learning rate: at 0 they stay put.
    const frozen = await trainShifts({ model, svd: svdTe, settings: tinySettings({ steps: 3, parts: 'unet+text_encoder', lrTextEncoder: 0 }) });
    expect(moved(frozen.deltas, 'unet')).toBe(true);
    expect(moved(frozen.deltas, 'text_encoder')).toBe(false);
  }, 120_000);

  it('prior_target base_prediction: prior items regress onto the base model, so their loss starts at 0', async () => {
    const { model, svdTe } = await tinyModel();
    const classImages = [[disc(16, [0, 0, 1]), disc(16, [0, 1, 0])]];
    const priorTerms = async (priorTarget: 'noise' | 'base_prediction') => {
      const terms: number[] = [];
      const settings = tinySettings({ steps: 3, batchSize: 2, priorWeight: 1, parts: 'unet+text_encoder', priorTarget });
      await trainShifts({ model, svd: svdTe, settings, classImages, onStep: (r) => terms.push(r.terms.prior) });
      return terms;
    };
    const base = await priorTerms('base_prediction');
    const noise = await priorTerms('noise');
    // Step 1 runs at δ = 0, where the shifted graph (text encoder chained in) is the base model.
    expect(base[0]).toBeLessThan(1e-9);
    expect(noise[0]).toBeGreaterThan(1e-3);
    // Once δ has moved the two models differ, and the prior term says by how much.
    expect(base[2]).toBeGreaterThan(0);
    expect(base[2]).toBeLessThan(noise[2]);
  }, 120_000);
});
