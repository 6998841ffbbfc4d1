// Load Model, Sample and DDIM Invert → Slerp Noise → Sample on SD 1.5's architecture as
// optimum exports it (tiny widths, random weights): opsets 14, 17, 18 and --fp16.
import { afterAll, describe, expect, it } from 'vitest';
import LoadModel from '../../nodes/load-model.ts';
import Sample from '../../nodes/sample.ts';
import DDIMInvert from '../../nodes/ddim-invert.ts';
import SlerpNoise from '../../nodes/slerp-noise.ts';
import type { ImageBatch } from '../../nodes/define.ts';
import { testImage } from '../../server/diffusion/pipeline/model.testing.ts';
import type { Latent, LoadedModel } from '../../server/diffusion/index.ts';
import { addOptimumCurrent, fixtureStorage, nodeContext, VARIANTS } from './sd15.testing.ts';

const { storage, cleanup } = fixtureStorage();
afterAll(cleanup);

const finite = (a: Float32Array) => a.every(Number.isFinite);
const models = new Map<string, Promise<LoadedModel>>();
const load = (name: string) => {
  let p = models.get(name);
  if (!p) {
    p = LoadModel.run({ model_name: name, device: 'cpu' }, nodeContext(storage)).then((r) => r.outputs[0] as LoadedModel);
    models.set(name, p);
  }
  return p;
};

describe.each(VARIANTS)('SD 1.5 architecture, %s', (variant) => {
  it('Load Model lists it, checks every part and reads SD geometry from the configs', async () => {
    const options = LoadModel.inputs.model_name.options as (env: { storage: typeof storage }) => string[];
    expect(options({ storage })).toContain(variant);
    const model = await load(variant);
    expect(model.io.unet.inputNames).toEqual(['sample', 'timestep', 'encoder_hidden_states']);
    expect(model.io.unet.outputNames).toEqual(['out_sample']);
    expect(model.io.text_encoder.inputNames).toEqual(['input_ids']);
    expect(model.io.vae_encoder.outputNames).toEqual(['latent_sample']);
    expect(model.io.vae_decoder.inputNames).toEqual(['latent_sample']);
    expect(model.latentChannels).toBe(4);
    expect(model.downscale).toBe(8);
    expect(model.sizeMultiple).toBe(64);
    expect(model.vaeScalingFactor).toBe(0.18215);
    expect(model.geometry.textDim).toBe(32);
    expect(model.tokenizer.kind).toBe('clip-bpe');
    // CLIP framing: BOS, one token per word of the fixture's vocabulary, EOS, EOS padding.
    const ids = model.tokenizer.encode('a photo of sks dog');
    expect(ids.length).toBe(77);
    expect(ids[0]).toBe(model.tokenizer.bosId);
    expect(model.tokenizer.idsOf('sks')).toHaveLength(1);
    expect(ids[6]).toBe(model.tokenizer.eosId);
    expect(ids[76]).toBe(model.tokenizer.padId);
    const half = variant === 'fp16';
    expect(model.io.unet.inputs.find((v) => v.name === 'sample')!.elemType).toBe(half ? 10 : 1);
    expect(model.io.unet.inputs.find((v) => v.name === 'timestep')!.elemType).toBe(7);
  });

  it('Sample: 64×64, 3 steps, guidance 2, batch 2', async () => {
    const model = await load(variant);
    const out = await Sample.run({ model, prompt: 'a photo of a sks dog', negative_prompt: 'blurry', steps: 3, guidance_scale: 2, eta: 0, seed: 1, width: 64, height: 64, batch_size: 2, latent: undefined, shifts: undefined, shift_scale: 1 }, nodeContext(storage));
    const [images, latent] = out.outputs as [ImageBatch, Latent];
    expect(images.shape).toEqual([2, 64, 64, 3]);
    expect(latent.shape).toEqual([2, 4, 8, 8]);
    expect(finite(images.data) && finite(latent.samples)).toBe(true);
    // Not a constant image: the UNet and the VAE decoder did something.
    expect(Math.max(...images.data) - Math.min(...images.data)).toBeGreaterThan(0.01);
  });

  it('DDIM Invert → Slerp Noise → Sample', async () => {
    const model = await load(variant);
    const ctx = nodeContext(storage);
    const zT = (await DDIMInvert.run({ model, image: testImage(64, 64), prompt: 'a red circle', negative_prompt: '', steps: 3, guidance_scale: 1, shifts: undefined, shift_scale: 1 }, ctx)).outputs[0] as Latent;
    expect(zT.shape).toEqual([1, 4, 8, 8]);
    expect(finite(zT.samples)).toBe(true);
    const mixed = (await SlerpNoise.run({ latent: zT, seed: 3, alpha: 0.3 }, ctx)).outputs[0] as Latent;
    const out = await Sample.run({ model, latent: mixed, prompt: 'a red circle', negative_prompt: '', steps: 3, guidance_scale: 2, eta: 0, seed: 0, width: 64, height: 64, batch_size: 1, shifts: undefined, shift_scale: 1 }, ctx);
    const [images, latent] = out.outputs as [ImageBatch, Latent];
    expect(images.shape).toEqual([1, 64, 64, 3]);
    expect(latent.shape).toEqual([1, 4, 8, 8]);
    expect(finite(images.data) && finite(latent.samples)).toBe(true);
  });
});

describe("optimum's current export layout (known gap)", () => {
  it('Load Model refuses its rank-0 float timestep, naming the part and the input', async () => {
    // optimum after its diffusion refactor exports `timestep` as a float scalar (no axes) and the
    // VAE encoder's latent_parameters; the studio checks for a timestep of rank 1.
    const name = addOptimumCurrent(storage);
    await expect(LoadModel.run({ model_name: name, device: 'cpu' }, nodeContext(storage))).rejects.toThrow(
      /^input "model_name": "optimum-current" is not a usable model: unet: input timestep has rank 0, expected 1$/,
    );
  });
});
