import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { GraphBuilder, saveModel } from '../../onnx/index.ts';
import { LoadedModel } from '../model/index.ts';
import { randn } from '../rng.ts';
import { decodeLatent, encodeImage } from './vae.ts';
import { invertLatents } from './invert.ts';
import { sampleLatents } from './sample.ts';
import { randomLatent } from './noise.ts';
import { InputError } from '../../core/index.ts';
import { psnr, testImage, tinyModelDir, writeGaussianUnet } from './model.testing.ts';

const sha = (a: Float32Array) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

describe('pipelines on the tiny embedded model', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await LoadedModel.load(await tinyModelDir());
  });

  it('same seed → same latent bytes, across runs and separately loaded models', async () => {
    const opts = { prompt: 'a red circle', negativePrompt: 'blue', steps: 4, guidance: 3, eta: 0.5, seed: 1234, width: 8, height: 12, batch: 2 };
    const a = await sampleLatents(model, opts);
    const other = await LoadedModel.load(model.dir);
    const b = await sampleLatents(other, opts);
    expect(a.shape).toEqual([2, 12, 6, 4]);
    expect(sha(b.samples)).toBe(sha(a.samples));
    const c = await sampleLatents(model, { ...opts, seed: 1235 });
    expect(sha(c.samples)).not.toBe(sha(a.samples));
    // Random Noise gives exactly the noise Sample starts from.
    const noise = randomLatent(model, { width: 8, height: 12, batch: 2, seed: 1234 });
    expect(sha(noise.samples)).toBe(sha(randn(1234, [2, 12, 6, 4])));
    const fromNoise = await sampleLatents(model, { ...opts, latent: noise });
    expect(sha(fromNoise.samples)).toBe(sha(a.samples));
  });

  it('reports every step with its x̂₀ and stops on abort', async () => {
    const seen: number[] = [];
    await sampleLatents(model, {
      prompt: 'a red circle', steps: 5, guidance: 2, seed: 1, width: 8, height: 8,
      onStep: ({ step, total, x0 }) => {
        seen.push(step);
        expect(total).toBe(5);
        expect(x0.shape).toEqual([1, 12, 4, 4]);
      },
    });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    const ac = new AbortController();
    const run = sampleLatents(model, { prompt: 'a red circle', steps: 5, guidance: 2, seed: 1, width: 8, height: 8, signal: ac.signal, onStep: ({ step }) => { if (step === 2) ac.abort(); } });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('encodes and decodes through the VAE exactly (SpaceToDepth)', async () => {
    const img = testImage(8, 6, 2);
    const z = await encodeImage(model, img, { sizeStep: model.downscale });
    expect(z.shape).toEqual([2, 12, 3, 4]);
    const back = await decodeLatent(model, z);
    expect(back.shape).toEqual([2, 6, 8, 3]);
    expect(psnr(back.data, img.data)).toBeGreaterThan(100);
  });

  it('refuses bad inputs, naming them', async () => {
    const base = { prompt: 'a red circle', steps: 2, guidance: 1, seed: 0, width: 8, height: 8 };
    const err = async (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as InputError);
    expect(await err(sampleLatents(model, { ...base, width: 7 }))).toMatchObject({ input: 'width', message: expect.stringMatching(/multiples of 4/) });
    expect(await err(sampleLatents(model, { ...base, height: 0 }))).toMatchObject({ input: 'height' });
    expect(await err(sampleLatents(model, { ...base, prompt: '  ' }))).toMatchObject({ input: 'prompt', message: expect.stringMatching(/empty/) });
    expect(await err(sampleLatents(model, { ...base, steps: 0 }))).toMatchObject({ input: 'steps' });
    expect(await err(sampleLatents(model, { ...base, eta: -1 }))).toMatchObject({ input: 'eta' });
    expect(await err(sampleLatents(model, { ...base, latent: { samples: new Float32Array(16), shape: [1, 1, 4, 4] } }))).toMatchObject({ input: 'latent', message: expect.stringMatching(/1 channels/) });
    expect(await err(encodeImage(model, testImage(7, 8)))).toMatchObject({ input: 'image', message: expect.stringMatching(/7×8/) });
    expect(await err(invertLatents(model, { ...base, prompt: '', latent: randomLatent(model, { width: 8, height: 8, batch: 1, seed: 0 }) }))).toMatchObject({ input: 'prompt' });
  });
});

describe('DDIM round trip (η = 0, guidance 1) on a smooth small model', () => {
  it('invert then sample with the same prompt reconstructs the image', async () => {
    const dir = await tinyModelDir();
    writeGaussianUnet(dir, { channels: 12, textDim: 8, textGain: 0.5 });
    const model = await LoadedModel.load(dir);
    const img = testImage(16, 16);
    const z0 = await encodeImage(model, img);
    const results: Record<number, number> = {};
    const diffs: Record<number, number> = {};
    for (const steps of [10, 50]) {
      const zT = await invertLatents(model, { prompt: 'a red circle', steps, guidance: 1, latent: z0 });
      const back = await sampleLatents(model, { prompt: 'a red circle', steps, guidance: 1, eta: 0, seed: 0, latent: zT });
      let maxDiff = 0;
      for (let i = 0; i < z0.samples.length; i++) maxDiff = Math.max(maxDiff, Math.abs(back.samples[i] - z0.samples[i]));
      results[steps] = psnr((await decodeLatent(model, back)).data, img.data);
      diffs[steps] = maxDiff;
      expect(maxDiff).toBeLessThan(0.1);
    }
    // The error shrinks with the step size (first order: DDIM inversion evaluates ε one level early).
    expect(diffs[50]).toBeLessThan(diffs[10] / 4);
    expect(results[10]).toBeGreaterThan(30);
    expect(results[50]).toBeGreaterThan(50);
    // A different prompt changes the result: the prompt really conditions the loop.
    const zT = await invertLatents(model, { prompt: 'a red circle', steps: 10, guidance: 1, latent: z0 });
    const other = await sampleLatents(model, { prompt: 'a blue square', steps: 10, guidance: 1, seed: 0, latent: zT });
    const otherPsnr = psnr((await decodeLatent(model, other)).data, img.data);
    console.log(`DDIM round trip PSNR: ${results[10].toFixed(1)} dB @10 steps, ${results[50].toFixed(1)} dB @50 steps (latent max diff ${diffs[10].toFixed(4)}, ${diffs[50].toFixed(4)}); other prompt ${otherPsnr.toFixed(1)} dB`);
    expect(otherPsnr).toBeLessThan(results[10] - 10);
  });
});

describe('fp16 models', () => {
  it('sample and invert through a float16 UNet (int64 timestep) match the float32 one closely', async () => {
    const d32 = await tinyModelDir();
    writeGaussianUnet(d32, { channels: 12, textDim: 8, textGain: 0.5 });
    const d16 = await tinyModelDir();
    writeGaussianUnet(d16, { channels: 12, textDim: 8, textGain: 0.5, fp16: true });
    const [m32, m16] = await Promise.all([LoadedModel.load(d32), LoadedModel.load(d16)]);
    const opts = { prompt: 'a red circle', steps: 8, guidance: 2, seed: 5, width: 8, height: 8 };
    const a = await sampleLatents(m32, opts);
    const b = await sampleLatents(m16, opts);
    let maxDiff = 0;
    for (let i = 0; i < a.samples.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.samples[i] - b.samples[i]));
    expect(maxDiff).toBeGreaterThan(0); // really ran in half precision
    expect(maxDiff).toBeLessThan(0.05);
    const zT = await invertLatents(m16, { prompt: 'a red circle', steps: 8, guidance: 1, latent: a });
    expect(zT.samples.every(Number.isFinite)).toBe(true);
  });

  it('feeds a timestep declared as [1] once, whatever the batch', async () => {
    const d = await tinyModelDir();
    writeGaussianUnet(d, { channels: 12, textDim: 8, textGain: 0.5, staticTimestep: true });
    const m = await LoadedModel.load(d);
    const d2 = await tinyModelDir();
    writeGaussianUnet(d2, { channels: 12, textDim: 8, textGain: 0.5 });
    const opts = { prompt: 'a red circle', steps: 3, guidance: 2, seed: 5, width: 8, height: 8, batch: 2 };
    const a = await sampleLatents(m, opts);
    const b = await sampleLatents(await LoadedModel.load(d2), opts);
    expect(a.samples).toEqual(b.samples);
  });
});

describe('VAE encoders that emit latent_parameters', () => {
  it('keep the mean half of [mean, logvar]', async () => {
    const d = await tinyModelDir();
    const g = new GraphBuilder();
    g.input('sample', 'float32', ['batch', 3, 'height', 'width']);
    const mean = g.node('SpaceToDepth', ['sample'], { blocksize: 2 });
    const logvar = g.node('Sub', [g.node('Mul', [mean, g.scalar(0)]), g.scalar(7)]);
    g.node('Concat', [mean, logvar], { axis: 1 }, { output: 'latent_parameters' });
    g.output('latent_parameters', 'float32', ['batch', 24, 'h', 'w']);
    saveModel(g.toModel(), join(d, 'vae_encoder', 'model.onnx'), { location: 'model.onnx_data' });
    const m = await LoadedModel.load(d);
    expect(m.io.vae_encoder.outputNames).toEqual(['latent_parameters']);
    expect(m.latentChannels).toBe(12);
    const img = testImage(8, 4);
    const z = await encodeImage(m, img, { sizeStep: m.downscale });
    expect(z.shape).toEqual([1, 12, 2, 4]);
    expect(psnr((await decodeLatent(m, z)).data, img.data)).toBeGreaterThan(100);
  });
});
