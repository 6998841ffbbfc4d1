// Pixels ↔ latents through the model's VAE, as diffusers does: images NHWC [0,1] become
// NCHW [-1,1]; encoder latents (the mean half when the encoder emits latent_parameters) are
// multiplied by the scaling factor; the decoder gets latents divided by it.
import type { ImageBatch } from '../../core/index.ts';
import type { LoadedModel } from '../model/index.ts';
import { InputError } from '../../core/index.ts';
import type { Latent } from './latent.ts';
import { rowsPerCall } from './chunks.ts';
import { partRunner, type PartOverride } from './overrides.ts';
import { checkSide } from './size.ts';

export interface EncodeOptions {
  overrides?: readonly PartOverride[];
  /** Sides must be multiples of this: the model's sizeMultiple (default, for latents the UNet
   *  will denoise) or its downscale (VAE only). */
  sizeStep?: number;
}

export async function encodeImage(model: LoadedModel, image: ImageBatch, opts: EncodeOptions = {}): Promise<Latent> {
  const { overrides } = opts;
  const [n, H, W, C] = image.shape;
  if (C !== 3) throw new InputError('image', `has ${C} channels, expected 3`);
  try {
    checkSide(model, 'image', W, opts.sizeStep);
    checkSide(model, 'image', H, opts.sizeStep);
  } catch (e) {
    throw new InputError('image', `is ${W}×${H}: ${(e as Error).message.replace(/, got \d+$/, '')}; resize or crop it first`);
  }
  const pixels = new Float32Array(n * 3 * H * W);
  const plane = H * W;
  for (let b = 0; b < n; b++) {
    const src = b * plane * 3;
    const dst = b * plane * 3;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) pixels[dst + c * plane + p] = image.data[src + p * 3 + c] * 2 - 1;
    }
  }
  const r = await partRunner(model, 'vae_encoder', overrides);
  const out = await r.run({ [r.inputNames[0]]: r.floatTensor(r.inputNames[0], pixels, [n, 3, H, W]) });
  const [, outC, h, w] = out.dims;
  const c = model.latentChannels;
  // latent_parameters (and some latent_sample exports) hold [mean, logvar]: keep the mean.
  const keep = r.outputNames[0] === 'latent_parameters' || outC === 2 * c ? outC / 2 : outC;
  if (keep !== c) throw new Error(`vae_encoder: produced ${keep} latent channels, expected ${c}`);
  const sf = model.vaeScalingFactor;
  const samples = new Float32Array(n * c * h * w);
  const per = c * h * w;
  for (let b = 0; b < n; b++) {
    const src = out.data.subarray(b * outC * h * w, b * outC * h * w + per);
    for (let i = 0; i < per; i++) samples[b * per + i] = src[i] * sf;
  }
  return { samples, shape: [n, c, h, w] };
}

/**
 * Latents → images; `items` limits decoding to the first few batch items (previews);
 * `clamp: false` keeps values outside [0, 1] (fitting a preview map needs the decoder's linear range).
 */
export async function decodeLatent(model: LoadedModel, latent: Latent, opts: { overrides?: readonly PartOverride[]; items?: number; clamp?: boolean } = {}): Promise<ImageBatch> {
  const [N, c, h, w] = latent.shape;
  if (c !== model.latentChannels) throw new InputError('latent', `has ${c} channels, ${model.name} uses ${model.latentChannels}`);
  const n = Math.min(N, opts.items ?? N);
  const sf = model.vaeScalingFactor;
  const r = await partRunner(model, 'vae_decoder', opts.overrides);
  const clamp = opts.clamp ?? true;
  const per = c * h * w;
  const chunk = rowsPerCall(h, w);
  let data = new Float32Array(0);
  let H = 0;
  let W = 0;
  for (let b0 = 0; b0 < n; b0 += chunk) {
    const m = Math.min(chunk, n - b0);
    const z = new Float32Array(m * per);
    for (let i = 0; i < z.length; i++) z[i] = latent.samples[b0 * per + i] / sf;
    let out;
    try {
      out = await r.run({ [r.inputNames[0]]: r.floatTensor(r.inputNames[0], z, [m, c, h, w]) });
    } catch (e) {
      throw new InputError('latent', `the VAE decoder cannot take a ${h}×${w} latent: ${(e as Error).message.split('\n')[0]}`);
    }
    const oc = out.dims[1];
    if (oc !== 3) throw new Error(`vae_decoder: produced ${oc} channels, expected 3`);
    [H, W] = [out.dims[2], out.dims[3]];
    if (b0 === 0) data = new Float32Array(n * H * W * 3);
    const plane = H * W;
    for (let b = 0; b < m; b++) {
      const src = b * plane * 3;
      const dst = (b0 + b) * plane * 3;
      for (let p = 0; p < plane; p++) {
        for (let ch = 0; ch < 3; ch++) {
          const v = (out.data[src + ch * plane + p] + 1) / 2;
          data[dst + p * 3 + ch] = clamp ? (v < 0 ? 0 : v > 1 ? 1 : v) : v;
        }
      }
    }
  }
  return { data, shape: [n, H, W, 3] };
}
