// The full fine-tune baseline (moved from server/diffusion/training/loop.test.ts with the
// trainer it tests; the assertions are those of the test there).
import { describe, expect, it } from 'vitest';
import { tinyModel, tinySettings } from '../../server/diffusion/training/model.testing.ts';
import { FullFineTuneTrainer } from './full-finetune.ts';

describe('full fine-tune baseline (tiny embedded model)', () => {
  it('full-weight baseline: every UNet weight and bias is trained, shifts untouched', async () => {
    const { model, svd } = await tinyModel();
    const t = await FullFineTuneTrainer.create({ model, settings: tinySettings({ steps: 2, lr: 1e-3 }) });
    try {
      const start = new Map([...t.deltas].map(([k, v]) => [k, v.slice()]));
      const r = await t.train();
      expect([...r.deltas.keys()].every((k) => /\.(weight|bias)$/.test(k))).toBe(true);
      expect(r.trainedParameters).toBe([...start.values()].reduce((a, d) => a + d.length, 0));
      expect(r.trainedParameters).toBeGreaterThan(5 * [...svd.layers.values()].reduce((a, l) => a + l.k, 0));
      expect([...r.deltas].some(([k, v]) => v.some((x, i) => x !== start.get(k)![i]))).toBe(true);
    } finally {
      await t.release();
    }
  }, 120_000);
});
