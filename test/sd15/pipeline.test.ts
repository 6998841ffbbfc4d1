// Load Model, Sample and DDIM Invert → Slerp Noise → Sample on SD 1.5's architecture as
// optimum exports it (tiny widths, random weights): opsets 14, 17, 18 and --fp16, and optimum's
// current layout (scalar timestep, latent_parameters); VAE encoding to the distribution's mean.
import { afterAll, describe, expect, it } from 'vitest';
import LoadModel from '../../nodes/load-model.ts';
import Sample from '../../nodes/sample.ts';
import DDIMInvert from '../../nodes/ddim-invert.ts';
import SlerpNoise from '../../nodes/slerp-noise.ts';
import type { ImageBatch } from '../../nodes/define.ts';
import { testImage } from '../../server/diffusion/pipeline/model.testing.ts';
import type { Latent, LoadedModel } from '../../server/diffusion/index.ts';
import { encodeImage } from '../../server/diffusion/pipeline/index.ts';
import { addOptimumCurrent, fixtureStorage, nodeContext, reference, relMaxError, VARIANTS } from './sd15.testing.ts';

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


/** Sample at 64×64, 3 steps, guidance 2, batch 2: right shapes, finite, not a constant image. */
async function sampleBatchOfTwo(model: LoadedModel): Promise<void> {
  const out = await Sample.run({ model, prompt: 'a photo of a sks dog', negative_prompt: 'blurry', steps: 3, guidance_scale: 2, eta: 0, seed: 1, width: 64, height: 64, batch_size: 2, latent: undefined, shifts: undefined, shift_scale: 1, adapters: undefined, facilitated_transport: true }, nodeContext(storage));
  const [images, latent] = out.outputs as [ImageBatch, Latent];
  expect(images.shape).toEqual([2, 64, 64, 3]);
  expect(latent.shape).toEqual([2, 4, 8, 8]);
  expect(finite(images.data) && finite(latent.samples)).toBe(true);
  // Not a constant image: the UNet and the VAE decoder did something.
  expect(Math.max(...images.data) - Math.min(...images.data)).toBeGreaterThan(0.01);
}
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
    await sampleBatchOfTwo(await load(variant));
  });

  it('DDIM Invert → Slerp Noise → Sample', async () => {
    const model = await load(variant);
    const ctx = nodeContext(storage);
    const zT = (await DDIMInvert.run({ model, image: testImage(64, 64), prompt: 'a red circle', negative_prompt: '', steps: 3, guidance_scale: 1, shifts: undefined, shift_scale: 1, adapters: undefined, facilitated_transport: true }, ctx)).outputs[0] as Latent;
    expect(zT.shape).toEqual([1, 4, 8, 8]);
    expect(finite(zT.samples)).toBe(true);
    const mixed = (await SlerpNoise.run({ latent: zT, seed: 3, alpha: 0.3 }, ctx)).outputs[0] as Latent;
    const out = await Sample.run({ model, latent: mixed, prompt: 'a red circle', negative_prompt: '', steps: 3, guidance_scale: 2, eta: 0, seed: 0, width: 64, height: 64, batch_size: 1, shifts: undefined, shift_scale: 1, adapters: undefined, facilitated_transport: true }, ctx);
    const [images, latent] = out.outputs as [ImageBatch, Latent];
    expect(images.shape).toEqual([1, 64, 64, 3]);
    expect(latent.shape).toEqual([1, 4, 8, 8]);
    expect(finite(images.data) && finite(latent.samples)).toBe(true);
  });
});

describe("optimum's current export layout: a float scalar timestep and latent_parameters", () => {
  const name = addOptimumCurrent(storage);

  it('Load Model takes the rank-0 timestep and the [mean, logvar] encoder output', async () => {
    const model = await load(name);
    const timestep = model.io.unet.inputs.find((v) => v.name === 'timestep')!;
    expect(timestep.elemType).toBe(1);
    expect(timestep.dims).toEqual([]);
    expect(model.io.vae_encoder.outputNames).toEqual(['latent_parameters']);
    expect(model.latentChannels).toBe(4);
    const unet = await model.runner('unet');
    expect(unet.timestepScalar('timestep')).toBe(true);
    expect(unet.timestepTensor('timestep', 801, 2).dims).toEqual([]);
  });

  it('Sample: 64×64, 3 steps, guidance 2, batch 2 (one scalar timestep for the doubled batch)', async () => {
    await sampleBatchOfTwo(await load(name));
  });

  it('DDIM Invert encodes to the mean half of latent_parameters, as the classic export now does', async () => {
    const [current, classic] = await Promise.all([load(name), load('opset14')]);
    const ctx = nodeContext(storage);
    const invert = async (model: LoadedModel) => (await DDIMInvert.run({ model, image: testImage(64, 64), prompt: 'a red circle', negative_prompt: '', steps: 3, guidance_scale: 1, shifts: undefined, shift_scale: 1, adapters: undefined, facilitated_transport: true }, ctx)).outputs[0] as Latent;
    const zT = await invert(current);
    expect(zT.shape).toEqual([1, 4, 8, 8]);
    expect(finite(zT.samples)).toBe(true);
    // Same weights (seed 0) as opset14: its encoder's mean and the current UNet's scalar timestep
    // give the classic export's inversion.
    expect(relMaxError(zT.samples, (await invert(classic)).samples)).toBeLessThan(1e-5);
  });
});

describe('VAE encoding is deterministic: the latent distribution’s mean', () => {
  it('opset14 (its encoder draws mean + exp(logvar/2)·ε): two encodes are bit-identical and equal the float64 reference’s mean', async () => {
    const model = await load('opset14');
    const { sample, latent_parameters } = reference().vae_encoder;
    const [, , H, W] = sample.dims;
    // NCHW in [-1, 1] → an NHWC image in [0, 1], as encodeImage takes it.
    const data = new Float32Array(H * W * 3);
    for (let c = 0; c < 3; c++) for (let p = 0; p < H * W; p++) data[p * 3 + c] = (sample.data[c * H * W + p] + 1) / 2;
    const image: ImageBatch = { data, shape: [1, H, W, 3] };
    const [a, b] = [await encodeImage(model, image), await encodeImage(model, image)];
    expect(Buffer.from(a.samples.buffer).equals(Buffer.from(b.samples.buffer))).toBe(true);
    const mean = latent_parameters.data.slice(0, a.samples.length);
    // The forward tests' float32 bound (encodeImage scales by the VAE's scaling factor).
    expect(relMaxError(a.samples.map((v) => v / model.vaeScalingFactor), mean)).toBeLessThan(1e-5);
  });
});
