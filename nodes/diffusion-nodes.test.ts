// LoadModel, Sample, DDIMInvert, SlerpNoise, RandomNoise, VAEEncode, VAEDecode on a tiny
// embedded model written into a temporary models folder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '../server/storage.ts';
import { randn, type LoadedModel, type Latent } from '../server/diffusion/index.ts';
import { testImage, tinyModelDir } from '../server/diffusion/pipeline/model.testing.ts';
import type { NodeContext, Storage } from './define.ts';
import LoadModel from './load-model.ts';
import Sample from './sample.ts';
import DDIMInvert from './ddim-invert.ts';
import SlerpNoise from './slerp-noise.ts';
import RandomNoise from './random-noise.ts';
import VAEEncode from './vae-encode.ts';
import VAEDecode from './vae-decode.ts';

const PNG = [0x89, 0x50, 0x4e, 0x47];

function context(storage: Storage, signal = new AbortController().signal) {
  const progress: { value: number; max: number; preview?: Uint8Array }[] = [];
  const ctx: NodeContext = {
    promptId: 'p', nodeId: '1', signal, storage, runtime: { device: 'cpu' }, prompt: {}, extraData: {}, previews: true,
    progress: (value, max, extra) => void progress.push({ value, max, preview: extra?.preview }),
    log: () => {},
  };
  return { ctx, progress };
}

let root: string;
let storage: Storage;
let model: LoadedModel;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'svdiff-nodes-'));
  storage = createStorage({ dataDir: join(root, 'data'), modelsDir: join(root, 'models') });
  mkdirSync(join(root, 'models', 'broken'), { recursive: true });
  const tiny = await tinyModelDir();
  cpSync(tiny, join(root, 'models', 'svdiff-shapes'), { recursive: true });
  cpSync(tiny, join(root, 'models', 'another'), { recursive: true });
  cpSync(tiny, join(root, 'models', 'broken'), { recursive: true });
  rmSync(join(root, 'models', 'broken', 'unet'), { recursive: true });
  const res = await LoadModel.run({ model_name: 'svdiff-shapes', device: 'default' }, context(storage).ctx);
  model = res.outputs[0] as LoadedModel;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('LoadModel', () => {
  it('lists model folders, the embedded default first, and loads one', async () => {
    const options = LoadModel.inputs.model_name.options as (env: { storage: Storage }) => string[];
    expect(options({ storage })).toEqual(['svdiff-shapes', 'another', 'broken']);
    expect(model.name).toBe('svdiff-shapes');
    expect(model.device).toBe('cpu');
    expect(model.latentChannels).toBe(12);
    // ×2 SpaceToDepth, and the UNet's one down-sampling (unet/config.json's block_out_channels).
    expect(model.sizeMultiple).toBe(4);
    // Same files → same fingerprint (the engine keeps the cached MODEL).
    const fp = () => LoadModel.fingerprint!({ model_name: 'svdiff-shapes', device: 'default' }, { storage });
    expect(await fp()).toBe(await fp());
  });

  it('names the input for a missing part, an unknown model and an unknown execution provider', async () => {
    const { ctx } = context(storage);
    await expect(LoadModel.run({ model_name: 'broken', device: 'cpu' }, ctx)).rejects.toThrow(/^input "model_name": "broken" is not a usable model: .*missing unet\/model\.onnx/);
    await expect(LoadModel.run({ model_name: 'nope', device: 'cpu' }, ctx)).rejects.toThrow(/^input "model_name": no model "nope"/);
    await expect(LoadModel.run({ model_name: 'another', device: 'tpu' }, ctx)).rejects.toThrow(/^input "device": unknown execution provider "tpu"/);
  });

  it('an explicit device either starts or fails naming the input, never silently on CPU', async () => {
    const { ctx } = context(storage);
    for (const device of ['webgpu', 'cuda'] as const) {
      const r = await LoadModel.run({ model_name: 'another', device }, ctx).then((x) => x.outputs[0] as LoadedModel, (e: Error) => e);
      if (r instanceof Error) expect(r.message).toMatch(new RegExp(`^input "device": execution provider '${device}' could not start`));
      else expect(r.device).toBe(device);
    }
  });
});

describe('Sample', () => {
  it('samples images and latents with progress every step and previews', async () => {
    const { ctx, progress } = context(storage);
    const inputs = { model, prompt: 'a red circle', negative_prompt: '', steps: 16, guidance_scale: 4, eta: 0, seed: 3, width: 12, height: 8, batch_size: 2, latent: undefined, shifts: undefined, shift_scale: 1, adapters: undefined, facilitated_transport: true };
    const res = await Sample.run(inputs, ctx);
    const [images, latent] = res.outputs;
    expect(images.shape).toEqual([2, 8, 12, 3]);
    expect(latent.shape).toEqual([2, 12, 4, 6]);
    expect(progress.map((p) => p.value)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    const withPreview = progress.filter((p) => p.preview).map((p) => p.value);
    expect(withPreview).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    expect([...progress[1].preview!.subarray(0, 4)]).toEqual(PNG);
    // Same seed, same bytes — and a client that asked for no previews gets none computed.
    const quiet = context(storage);
    const again = (await Sample.run(inputs, { ...quiet.ctx, previews: false })).outputs[1] as Latent;
    expect(Buffer.from(again.samples.buffer).equals(Buffer.from(latent.samples.buffer))).toBe(true);
    expect(quiet.progress.filter((p) => p.preview)).toEqual([]);
  });

  it('names bad inputs', async () => {
    const { ctx } = context(storage);
    const base = { model, prompt: 'a red circle', negative_prompt: '', steps: 2, guidance_scale: 1, eta: 0, seed: 0, width: 8, height: 8, batch_size: 1, latent: undefined, shifts: undefined, shift_scale: 1, adapters: undefined, facilitated_transport: true };
    await expect(Sample.run({ ...base, width: 9 }, ctx)).rejects.toThrow(/^input "width": svdiff-shapes takes sizes that are multiples of 4/);
    await expect(Sample.run({ ...base, prompt: '' }, ctx)).rejects.toThrow(/^input "prompt": is empty/);
    await expect(Sample.run({ ...base, guidance_scale: Number.NaN }, ctx)).rejects.toThrow(/^input "guidance_scale"/);
    await expect(Sample.run({ ...base, batch_size: 0 }, ctx)).rejects.toThrow(/^input "batch_size"/);
    // SD's leading spacing with steps_offset 1 would step past t = 999 at 1000 steps.
    await expect(Sample.run({ ...base, steps: 1000 }, ctx)).rejects.toThrow(/^input "steps": 1000 steps reach timestep 1000 .*use at most 999/);
  });

  it('stops with an AbortError when interrupted', async () => {
    const ac = new AbortController();
    const { ctx } = context(storage, ac.signal);
    ctx.progress = (value) => { if (value === 1) ac.abort(); };
    const base = { model, prompt: 'a red circle', negative_prompt: '', steps: 10, guidance_scale: 1, eta: 0, seed: 0, width: 8, height: 8, batch_size: 1, latent: undefined, shifts: undefined, shift_scale: 1, adapters: undefined, facilitated_transport: true };
    await expect(Sample.run(base, ctx)).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('DDIMInvert, SlerpNoise, RandomNoise, VAE nodes', () => {
  it('inverts an image into a latent Sample accepts', async () => {
    const { ctx, progress } = context(storage);
    const image = testImage(8, 8);
    const res = await DDIMInvert.run({ model, image, prompt: 'a red circle', negative_prompt: '', steps: 4, guidance_scale: 1, shifts: undefined, shift_scale: 1, adapters: undefined, facilitated_transport: true }, ctx);
    const zT = res.outputs[0] as Latent;
    expect(zT.shape).toEqual([1, 12, 4, 4]);
    expect(progress.at(-1)).toMatchObject({ value: 4, max: 4 });
    const out = await Sample.run({ model, latent: zT, prompt: 'a red circle', negative_prompt: '', steps: 4, guidance_scale: 1, eta: 0, seed: 0, width: 64, height: 64, batch_size: 1, shifts: undefined, shift_scale: 1, adapters: undefined, facilitated_transport: true }, context(storage).ctx);
    expect(out.outputs[0].shape).toEqual([1, 8, 8, 3]);
  });

  it('names bad DDIMInvert inputs', async () => {
    const { ctx } = context(storage);
    const base = { model, image: testImage(8, 8), prompt: 'a red circle', negative_prompt: '', steps: 2, guidance_scale: 1, shifts: undefined, shift_scale: 1, adapters: undefined, facilitated_transport: true };
    await expect(DDIMInvert.run({ ...base, image: testImage(7, 8) }, ctx)).rejects.toThrow(/^input "image": is 7×8/);
    await expect(DDIMInvert.run({ ...base, prompt: ' ' }, ctx)).rejects.toThrow(/^input "prompt": is empty/);
    await expect(DDIMInvert.run({ ...base, steps: 5000 }, ctx)).rejects.toThrow(/^input "steps"/);
  });

  it('random noise is randn(seed) in the model latent shape; slerp goes from latent to that noise', async () => {
    const { ctx } = context(storage);
    const noise = (await RandomNoise.run({ model, width: 8, height: 4, batch_size: 2, seed: 9 }, ctx)).outputs[0] as Latent;
    expect(noise.shape).toEqual([2, 12, 2, 4]);
    expect(noise.samples).toEqual(randn(9, [2, 12, 2, 4]));
    await expect(RandomNoise.run({ model, width: 5, height: 4, batch_size: 1, seed: 0 }, ctx)).rejects.toThrow(/^input "width"/);
    const z: Latent = { samples: randn(1, [2, 12, 2, 4]).map((v) => v * 0.3), shape: [2, 12, 2, 4] };
    const at0 = (await SlerpNoise.run({ latent: z, seed: 9, alpha: 0 }, ctx)).outputs[0] as Latent;
    const at1 = (await SlerpNoise.run({ latent: z, seed: 9, alpha: 1 }, ctx)).outputs[0] as Latent;
    const half = (await SlerpNoise.run({ latent: z, seed: 9, alpha: 0.5 }, ctx)).outputs[0] as Latent;
    for (let i = 0; i < z.samples.length; i++) {
      expect(at0.samples[i]).toBeCloseTo(z.samples[i], 5);
      expect(at1.samples[i]).toBeCloseTo(noise.samples[i], 5);
    }
    expect(half.samples).not.toEqual(at0.samples);
    await expect(SlerpNoise.run({ latent: z, seed: 9, alpha: 2 }, ctx)).rejects.toThrow(/^input "alpha"/);
    await expect(SlerpNoise.run({ latent: { samples: new Float32Array(3), shape: [1, 1, 2, 2] }, seed: 9, alpha: 0.5 }, ctx)).rejects.toThrow(/^input "latent"/);
  });

  it('VAE encode → decode returns the image', async () => {
    const { ctx } = context(storage);
    const image = testImage(6, 4);
    const z = (await VAEEncode.run({ model, image }, ctx)).outputs[0] as Latent;
    const back = (await VAEDecode.run({ model, latent: z }, ctx)).outputs[0] as { data: Float32Array };
    for (let i = 0; i < image.data.length; i++) expect(back.data[i]).toBeCloseTo(image.data[i], 5);
    await expect(VAEDecode.run({ model, latent: { samples: new Float32Array(4), shape: [1, 4, 1, 1] } }, ctx)).rejects.toThrow(/^input "latent": has 4 channels/);
  });
});
