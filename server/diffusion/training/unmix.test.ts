// Cut-Mix-Unmix on the tiny model: mixed samples expose the cross-attention maps, the unmix
// term equals the mean identifier attention outside each subject's strip (checked against
// the maps themselves), and training with a large unmix weight lowers it.
import { describe, expect, it } from 'vitest';
import { ShiftTrainer } from './loop.ts';
import { disc, tinyModel, tinySettings } from './model.testing.ts';
import { UNMIX } from './train-graph.ts';

const twoSubjects = (over = {}) =>
  tinySettings({
    subjects: [
      { images: [disc(16, [1, 0, 0])], prompt: 'a sks heart', classPrompt: 'a heart', identifier: 'sks' },
      { images: [disc(16, [0, 0, 1])], prompt: 'a xvg moon', classPrompt: 'a moon', identifier: 'xvg' },
    ],
    mixProbability: 1,
    unmixWeight: 1,
    batchSize: 2,
    ...over,
  });

describe('unmix regulariser', () => {
  it('is the mean identifier attention outside the subject region', async () => {
    const { model, svd } = await tinyModel();
    const t = await ShiftTrainer.create({ model, svd, settings: twoSubjects() });
    try {
      expect(t.graph.attention.length).toBeGreaterThan(0);
      const names = t.graph.attention.map((a) => a.probs);
      const { out, items } = await t.outputs(0, [UNMIX, ...names]);
      expect(items.every((i) => i.prompt === 'a sks heart on the left and a xvg moon on the right')).toBe(true);
      const tok = model.tokenizer;
      expect(Array.from(tok.encode(items[0].prompt))).toContain(tok.idsOf('sks')[0]);
      const L = tok.maxLength;
      // Expected: per map, mean over (item, head, position outside region k, token of identifier k).
      let total = 0;
      for (const a of t.graph.attention) {
        const P = out[a.probs].data as Float32Array;
        const [N, H, Q] = a.dims;
        let sum = 0;
        let count = 0;
        for (let b = 0; b < N; b++) {
          const ids = tok.encode(items[b].prompt);
          const idTok = [Array.from(ids).indexOf(tok.idsOf('sks')[0]), Array.from(ids).indexOf(tok.idsOf('xvg')[0])];
          for (let h = 0; h < H; h++) {
            for (let q = 0; q < Q; q++) {
              const col = q % a.w;
              const inLeft = (col + 0.5) / a.w < 0.5;
              const tokIdx = inLeft ? idTok[1] : idTok[0]; // the other subject's identifier is penalised here
              if (tokIdx < 0) continue; // truncated away (the tiny model's text length is 8)
              sum += P[((b * H + h) * Q + q) * L + tokIdx];
              count++;
            }
          }
        }
        total += sum / count;
      }
      expect(Number(out[UNMIX].data[0])).toBeCloseTo(total / t.graph.attention.length, 5);
    } finally {
      await t.release();
    }
  }, 120_000);

  it('training with the penalty lowers it', async () => {
    const { model, svd } = await tinyModel();
    const t = await ShiftTrainer.create({ model, svd, settings: twoSubjects({ unmixWeight: 20, steps: 25, lr: 2e-2 }) });
    try {
      const unmix = async () => {
        let s = 0;
        for (const step of [500, 501, 502]) s += Number((await t.outputs(step, [UNMIX])).out[UNMIX].data[0]);
        return s / 3;
      };
      const before = await unmix();
      const r = await t.train();
      expect(r.stepsDone).toBe(25);
      expect(await unmix()).toBeLessThan(before * 0.9);
    } finally {
      await t.release();
    }
  }, 120_000);
});
