import { beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { LoadedModel } from '../model/index.ts';
import { randn } from '../rng.ts';
import { decodeLatent } from './vae.ts';
import { fitLatentToRgb, linearPreviewPng, previewAt, previewMethod } from './preview.ts';
import { tinyModelDir } from './model.testing.ts';

describe('live previews', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await LoadedModel.load(await tinyModelDir());
  });

  it('fits the latent → RGB map of a linear decoder exactly (space-to-depth VAE: each cell averages to a linear map)', async () => {
    const map = await fitLatentToRgb(model);
    const [c, h, w] = [model.latentChannels, 6, 5];
    const z = randn(99, [1, c, h, w]);
    const img = await decodeLatent(model, { samples: z, shape: [1, c, h, w] }, { clamp: false });
    const [, H, W] = img.shape;
    const f = H / h;
    let worst = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let o = 0; o < 3; o++) {
          let mean = 0;
          for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) mean += img.data[((y * f + dy) * W + x * f + dx) * 3 + o] / (f * f);
          let v = map.bias[o];
          for (let ch = 0; ch < c; ch++) v += map.weights[o * c + ch] * z[ch * h * w + y * w + x];
          worst = Math.max(worst, Math.abs(v - mean));
        }
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('a linear preview is one pixel per latent cell, every step; decoder previews come every few steps', async () => {
    const c = model.latentChannels;
    const x0 = { samples: randn(3, [2, c, 7, 9]), shape: [2, c, 7, 9] as [number, number, number, number] };
    const png = await previewAt(model, 1, 40, x0, 'linear');
    const img = PNG.sync.read(Buffer.from(png!));
    expect([img.width, img.height]).toEqual([9, 7]);
    expect(await previewAt(model, 1, 40, x0, 'decoder')).toBeUndefined();
    expect(await previewAt(model, 5, 40, x0, 'decoder')).toBeInstanceOf(Uint8Array);
    // A few-kB decoder is cheap at any size the studio samples.
    expect(previewMethod(model, [1, c, 512, 512])).toBe('decoder');
    expect(() => linearPreviewPng({ weights: new Float64Array(3), bias: new Float64Array(3), channels: 1 }, x0)).toThrow(/channels/);
  });
});
