// Spectral shifts applied to activations (server/spectral/factorize-train.ts) give the loss and δ
// gradients of the W_δ graph: on the torch-exported fixture, UNet + text encoder, every layer
// (MatMul and Conv readers), with the factors in memory (W kept) and left in their cache files
// (W dropped), at nonzero δ on both sides of the ReLU.
import { afterAll, describe, expect, it } from 'vitest';
import LoadModel from '../../nodes/load-model.ts';
import type { LoadedModel } from '../../server/diffusion/index.ts';
import { disc, tinySettings } from '../../server/diffusion/training/model.testing.ts';
import { ShiftTrainer } from '../../server/diffusion/training/index.ts';
import { rng, normal } from '../../server/onnx/index.ts';
import { decomposeModel, DEFAULT_SELECTION, shiftCosts } from '../../server/spectral/index.ts';
import { fixtureStorage, nodeContext } from './sd15.testing.ts';

const { storage, cleanup } = fixtureStorage(['opset14']);
afterAll(cleanup);

describe('shifts on activations, opset14 fixture', () => {
  it('the cost rule: a 1280-wide conv at 8×8 goes to activations, a 320×320 projection at 64×64 keeps W_δ', () => {
    const conv = shiftCosts({ rows: 1280, cols: 9 * 1280, k: 1280 }, 64);
    const linear = shiftCosts({ rows: 320, cols: 320, k: 320 }, 64 * 64);
    expect(conv.activations).toBeLessThan(conv.weight / 10);
    expect(linear.activations).toBeGreaterThan(linear.weight);
  });

  for (const stored of [false, true]) {
    it(`loss and δ gradients equal the W_δ graph's (factors ${stored ? 'in cache files, W dropped' : 'in memory, W kept'})`, async () => {
      const ctx = nodeContext(storage);
      const model = (await LoadModel.run({ model_name: 'opset14', device: 'cpu' }, ctx)).outputs[0] as LoadedModel;
      const { svd } = await decomposeModel(model, { ...DEFAULT_SELECTION, parts: ['unet', 'text_encoder'], layers: 'all' }, { cacheDir: storage.cacheDir, inMemoryBytes: stored ? 0 : undefined });
      expect([...svd.layers.values()].some((l) => l.stored !== undefined)).toBe(stored);
      // δ of either sign and up to ~σ, so some ReLU(σ + δ) clip at 0.
      const rand = rng(3);
      const initial = new Map([...svd.layers.values()].map((l) => [l.name, Float32Array.from(l.S, (s) => 0.6 * s * normal(rand))]));
      const settings = tinySettings({
        subjects: [{ images: [disc(64, [1, 0, 0])], prompt: 'a sks dog', classPrompt: 'a dog', identifier: 'sks' }],
        resolution: 64, batchSize: 1, steps: 1, priorWeight: 0.5, parts: 'unet+text_encoder',
      });
      const logs: string[] = [];
      const run = { model, svd, settings, initial, classImages: [[disc(64, [0, 0, 1])]], log: (m: string) => logs.push(m) };
      const rebuilt = await ShiftTrainer.create({ ...run, shiftActivations: false });
      const factored = await ShiftTrainer.create(run);
      try {
        expect(rebuilt.graph.activationShifts).toEqual([]);
        const moved = factored.graph.activationShifts;
        const kinds = new Set(moved.map((l) => `${svd.layers.get(l)!.part} ${svd.layers.get(l)!.kind}`));
        // With W kept, the dense product stays too, so fewer layers gain (none of this text encoder's).
        expect([...kinds].sort()).toEqual(stored ? ['text_encoder matrix', 'unet conv', 'unet matrix'] : ['unet conv', 'unet matrix']);
        expect(logs.join('\n')).toMatch(new RegExp(`${moved.length} of ${svd.layers.size} shifts on activations`));
        for (const step of [0, 1]) {
          const [a, b] = [await rebuilt.gradients(step), await factored.gradients(step)];
          expect(Math.abs(a.loss - b.loss) / a.loss, `step ${step} loss`).toBeLessThan(1e-4);
          // Relative to the layer's gradient, or to 1e-4 of the largest of any layer where the
          // layer's own is rounding noise (self-attention over the mid block's one token: its
          // queries do not move the output, their gradient is 0 up to rounding).
          const largest = Math.max(...[...a.grads.values()].map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
          for (const [name, g] of a.grads) {
            const own = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            const h = b.grads.get(name)!;
            const diff = g.reduce((m, v, i) => Math.max(m, Math.abs(v - h[i])), 0);
            expect(diff / Math.max(own, 1e-4 * largest), name).toBeLessThan(2e-3);
          }
        }
      } finally {
        await rebuilt.release();
        await factored.release();
      }
    }, 240_000);
  }
});
