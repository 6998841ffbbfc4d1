// At SD's 512² (64×64 latents) the UNet and the VAE decoder get one batch row per call, so the
// activations held are one item's; the results must equal one batched call's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLatent, Denoiser, guidanceFromDoubledBatch, LoadedModel, randn } from '../../server/diffusion/index.ts';
import { rowsPerCall } from '../../server/diffusion/pipeline/chunks.ts';
import { fixtureStorage, relMaxError } from './sd15.testing.ts';

const { storage, cleanup } = fixtureStorage(['opset14']);
afterAll(cleanup);

describe('row chunks at 48×48 latents (one row per call), opset14 fixture', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await LoadedModel.load(`${storage.modelsDir}/opset14`);
  });

  it('guided ε from two one-row UNet calls equals one [uncond, cond] batch', async () => {
    expect(rowsPerCall(64, 64)).toBe(1);
    expect(rowsPerCall(48, 48)).toBe(1);
    expect(rowsPerCall(8, 8)).toBe(64);
    const shape = [1, 4, 48, 48];
    const x = randn(5, shape);
    const d = await Denoiser.create(model, { prompt: 'a photo of sks dog', negativePrompt: 'blue', guidance: 7.5, batch: 1 });
    const chunked = await d.predict(x, shape, 501);
    const r = d.unet;
    const [sample, t, text] = r.inputNames;
    const embeds = (d as unknown as { embeds: { data: Float32Array; dims: number[] } }).embeds;
    const both = new Float32Array(2 * x.length);
    both.set(x);
    both.set(x, x.length);
    const out = await r.run({
      [sample]: r.floatTensor(sample, both, [2, 4, 48, 48]),
      [t]: r.timestepTensor(t, 501, 2),
      [text]: r.floatTensor(text, embeds.data, embeds.dims),
    });
    const whole = guidanceFromDoubledBatch(out.data, { scale: 7.5 });
    expect(relMaxError(chunked, whole)).toBeLessThan(1e-5);
  }, 180_000);

  it('decodes a batch of two 48×48 latents item by item, in order', async () => {
    const z = randn(6, [2, 4, 48, 48]);
    const both = await decodeLatent(model, { samples: z, shape: [2, 4, 48, 48] });
    const second = await decodeLatent(model, { samples: z.slice(4 * 48 * 48), shape: [1, 4, 48, 48] });
    expect(both.shape).toEqual([2, 384, 384, 3]);
    expect(relMaxError(both.data.subarray(384 * 384 * 3), second.data)).toBe(0);
  }, 180_000);
});
