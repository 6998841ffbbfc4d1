// Live previews of x̂₀ while a loop runs. Where the model's VAE decoder is cheap at the run's
// latent size (the embedded model, tiny fixtures) a preview is the decoder's image of the first
// batch item, at most ~8 per run. Where it is not (SD 1.5's decoder takes 7.7 s at 512² on two
// cores, more than a UNet step, and holds ~1 GiB of activations) a preview is a linear map
// latent → RGB per latent cell, ComfyUI's latent2rgb idea, with the map fitted once per model by
// least squares against the model's own decoder on a small latent: every step, almost free.
import { encodePng } from '../../image/index.ts';
import type { LoadedModel } from '../model/index.ts';
import { randn } from '../rng.ts';
import type { Latent } from './latent.ts';
import { decodeLatent } from './vae.ts';

/** Decoder bytes × latent cells above which previews use the linear map (SD's decoder at any useful size). */
const DECODE_BUDGET = 1e9;
/** The fit decodes FIT_ITEMS latents of FIT_SIDE² cells (SD: two 128² images, ~1 s once). */
const FIT_SIDE = 16;
const FIT_ITEMS = 2;

/** At most ~8 decoder previews per run. */
export function previewEvery(steps: number): number {
  return Math.max(1, Math.floor(steps / 8));
}

export function wantsPreview(step: number, total: number): boolean {
  return step === total || step % previewEvery(total) === 0;
}

export type PreviewMethod = 'decoder' | 'linear';

/** What previews of this latent size cost: the decoder where cheap, else the linear map. */
export function previewMethod(model: LoadedModel, latentShape: readonly number[]): PreviewMethod {
  const cells = latentShape[2] * latentShape[3];
  return model.partBytes('vae_decoder') * cells > DECODE_BUDGET ? 'linear' : 'decoder';
}

/** The preview PNG for this step, or undefined when this step shows none. */
export async function previewAt(model: LoadedModel, step: number, total: number, x0: Latent, method = previewMethod(model, x0.shape)): Promise<Uint8Array | undefined> {
  if (method === 'linear') return linearPreviewPng(await latentToRgb(model), x0);
  return wantsPreview(step, total) ? previewPng(model, x0) : undefined;
}

/** The decoder's image of the first batch item. */
export async function previewPng(model: LoadedModel, x0: Latent): Promise<Uint8Array> {
  const img = await decodeLatent(model, x0, { items: 1 });
  const [, h, w] = img.shape;
  return encodePng(img.data, w, h);
}

/** rgb = bias + weights · z per latent cell; weights [3][channels]. */
export interface LatentToRgb {
  weights: Float64Array;
  bias: Float64Array;
  channels: number;
}

const fitted = new WeakMap<LoadedModel, Promise<LatentToRgb>>();

/** The model's latent → RGB map, fitted on first use and kept with the model. */
export function latentToRgb(model: LoadedModel): Promise<LatentToRgb> {
  let p = fitted.get(model);
  if (!p) {
    p = fitLatentToRgb(model);
    fitted.set(model, p);
    p.catch(() => fitted.delete(model));
  }
  return p;
}

/**
 * Least squares over the cells of seeded N(0, 1) latents (the scaled latent space x̂₀ lives in):
 * each cell's decoded pixels, averaged and not clamped, against its channels and a constant.
 */
export async function fitLatentToRgb(model: LoadedModel): Promise<LatentToRgb> {
  const c = model.latentChannels;
  const shape = [FIT_ITEMS, c, FIT_SIDE, FIT_SIDE] as const;
  const z = randn(0, shape);
  const img = await decodeLatent(model, { samples: z, shape: [...shape] }, { clamp: false });
  const [, H, W] = img.shape;
  const f = H / FIT_SIDE;
  const k = c + 1;
  const xtx = new Float64Array(k * k);
  const xty = new Float64Array(k * 3);
  const row = new Float64Array(k);
  const rgb = new Float64Array(3);
  const plane = FIT_SIDE * FIT_SIDE;
  for (let b = 0; b < FIT_ITEMS; b++) {
    for (let y = 0; y < FIT_SIDE; y++) {
      for (let x = 0; x < FIT_SIDE; x++) {
        for (let ch = 0; ch < c; ch++) row[ch] = z[(b * c + ch) * plane + y * FIT_SIDE + x];
        row[c] = 1;
        rgb.fill(0);
        for (let dy = 0; dy < f; dy++) {
          for (let dx = 0; dx < f; dx++) {
            const p = ((b * H + y * f + dy) * W + x * f + dx) * 3;
            for (let o = 0; o < 3; o++) rgb[o] += img.data[p + o] / (f * f);
          }
        }
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) xtx[i * k + j] += row[i] * row[j];
          for (let o = 0; o < 3; o++) xty[i * 3 + o] += row[i] * rgb[o];
        }
      }
    }
  }
  const sol = solveSymmetric(xtx, xty, k, 3);
  const weights = new Float64Array(3 * c);
  const bias = new Float64Array(3);
  for (let o = 0; o < 3; o++) {
    for (let ch = 0; ch < c; ch++) weights[o * c + ch] = sol[ch * 3 + o];
    bias[o] = sol[c * 3 + o];
  }
  return { weights, bias, channels: c };
}

/** The first item of x0 through the map, one pixel per latent cell. */
export function linearPreviewPng(map: LatentToRgb, x0: Latent): Uint8Array {
  const [, c, h, w] = x0.shape;
  if (c !== map.channels) throw new Error(`preview: latent has ${c} channels, the map ${map.channels}`);
  const plane = h * w;
  const out = new Float32Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let o = 0; o < 3; o++) {
      let v = map.bias[o];
      for (let ch = 0; ch < c; ch++) v += map.weights[o * c + ch] * x0.samples[ch * plane + p];
      out[p * 3 + o] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return encodePng(out, w, h);
}

/** Solves A·X = B for symmetric positive semi-definite A [k×k] (a small ridge keeps it regular). */
function solveSymmetric(a: Float64Array, b: Float64Array, k: number, m: number): Float64Array {
  const A = Float64Array.from(a);
  const B = Float64Array.from(b);
  let trace = 0;
  for (let i = 0; i < k; i++) trace += A[i * k + i];
  for (let i = 0; i < k; i++) A[i * k + i] += 1e-9 * (trace / k);
  for (let col = 0; col < k; col++) {
    let piv = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(A[r * k + col]) > Math.abs(A[piv * k + col])) piv = r;
    if (piv !== col) {
      for (let j = 0; j < k; j++) [A[col * k + j], A[piv * k + j]] = [A[piv * k + j], A[col * k + j]];
      for (let j = 0; j < m; j++) [B[col * m + j], B[piv * m + j]] = [B[piv * m + j], B[col * m + j]];
    }
    for (let r = col + 1; r < k; r++) {
      const f = A[r * k + col] / A[col * k + col];
      for (let j = col; j < k; j++) A[r * k + j] -= f * A[col * k + j];
      for (let j = 0; j < m; j++) B[r * m + j] -= f * B[col * m + j];
    }
  }
  const X = new Float64Array(k * m);
  for (let r = k - 1; r >= 0; r--) {
    for (let j = 0; j < m; j++) {
      let s = B[r * m + j];
      for (let q = r + 1; q < k; q++) s -= A[r * k + q] * X[q * m + j];
      X[r * m + j] = s / A[r * k + r];
    }
  }
  return X;
}
