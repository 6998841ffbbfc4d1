// At SD's 512² a training step runs its items through the graph one at a time (microBatch):
// the loss is a weighted sum over items, so summed micro-batch losses and gradients must equal
// one run over the whole batch.
import { afterAll, describe, expect, it } from 'vitest';
import LoadModel from '../../nodes/load-model.ts';
import SVDDecompose from '../../nodes/svd-decompose.ts';
import type { LoadedModel } from '../../server/diffusion/index.ts';
import { disc, tinySettings } from '../../server/diffusion/training/model.testing.ts';
import { microBatch, ShiftTrainer } from '../../server/diffusion/training/index.ts';
import type { SvdValue } from '../../server/spectral/index.ts';
import { fixtureStorage, nodeContext, relMaxError } from './sd15.testing.ts';

const { storage, cleanup } = fixtureStorage(['opset14']);
afterAll(cleanup);

describe('training micro-batches, opset14 fixture', () => {
  it('chooses one item per run at 64×64 latents, the whole batch at small ones, and never splits a multi-subject step', () => {
    expect(microBatch(2, 64, 64, 1)).toBe(1);
    expect(microBatch(4, 32, 32, 1)).toBe(4);
    expect(microBatch(6, 32, 32, 1)).toBe(3);
    expect(microBatch(2, 8, 8, 1)).toBe(2);
    expect(microBatch(2, 64, 64, 2)).toBe(2);
  });

  it('losses and gradients summed over one-item runs equal one run over the batch (instance + prior)', async () => {
    const ctx = nodeContext(storage);
    const model = (await LoadModel.run({ model_name: 'opset14', device: 'cpu' }, ctx)).outputs[0] as LoadedModel;
    const svd = (await SVDDecompose.run({ model, parts: 'unet+text_encoder', layers: 'all', name_filter: 'attn2\\.to_k|mid_block\\.resnets\\.0\\.norm1|token_embedding' }, ctx)).outputs[0] as SvdValue;
    const settings = tinySettings({
      subjects: [{ images: [disc(64, [1, 0, 0])], prompt: 'a sks dog', classPrompt: 'a dog', identifier: 'sks' }],
      resolution: 64, batchSize: 1, steps: 1, priorWeight: 0.5, parts: 'unet+text_encoder',
    });
    const run = { model, svd, settings, classImages: [[disc(64, [0, 0, 1])]] };
    const whole = await ShiftTrainer.create(run);
    const split = await ShiftTrainer.create({ ...run, graphBatch: 1 });
    try {
      expect([whole.graph.batch, split.graph.batch]).toEqual([2, 1]);
      for (const step of [0, 1]) {
        const [a, b] = [await whole.gradients(step), await split.gradients(step)];
        expect(Math.abs(a.loss - b.loss) / a.loss, `step ${step} loss`).toBeLessThan(1e-5);
        for (const [name, g] of a.grads) expect(relMaxError(b.grads.get(name)!, g), name).toBeLessThan(1e-4);
      }
      await expect(split.outputs(0, ['train/loss'])).rejects.toThrow(/runs 1 of the 2 items at a time/);
    } finally {
      await whole.release();
      await split.release();
    }
  }, 180_000);
});
