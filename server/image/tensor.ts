// IMAGE (NHWC, [0,1]) ↔ the NCHW tensors ONNX vision models take and give (VAE: [-1,1]).
import type { ImageBatch } from '../core/index.ts';
import { checkBatch } from './batch.ts';

/** `unit`: values in [0,1]; `signed`: values in [-1,1] (Stable Diffusion's VAE). */
export type PixelRange = 'unit' | 'signed';

export interface NchwTensor {
  data: Float32Array;
  /** [batch, channels, height, width] */
  shape: [number, number, number, number];
}

/** NHWC [0,1] → NCHW float32 in `range` (for a VAE encoder: `signed`). */
export function batchToNchw(batch: ImageBatch, range: PixelRange = 'unit'): NchwTensor {
  checkBatch(batch);
  const [n, h, w, c] = batch.shape;
  const src = batch.data;
  const out = new Float32Array(src.length);
  const plane = h * w;
  const [a, b] = range === 'signed' ? [2, -1] : [1, 0];
  for (let k = 0; k < n; k++) {
    const base = k * plane * c;
    for (let p = 0; p < plane; p++) {
      for (let ch = 0; ch < c; ch++) out[base + ch * plane + p] = src[base + p * c + ch] * a + b;
    }
  }
  return { data: out, shape: [n, c, h, w] };
}

/**
 * NCHW float32 in `range` → IMAGE, clamped to [0,1] (as diffusers does after the VAE decoder).
 * One channel is repeated to grey RGB; channels past the third (alpha) are dropped.
 */
export function nchwToBatch(data: Float32Array, shape: readonly number[], range: PixelRange = 'unit'): ImageBatch {
  if (shape.length !== 4) throw new Error(`expected an NCHW tensor, got shape [${shape.join(', ')}]`);
  const [n, c, h, w] = shape;
  if (!(n >= 1 && h >= 1 && w >= 1) || !(c === 1 || c >= 3)) throw new Error(`cannot make an image from NCHW shape [${shape.join(', ')}] (needs 1, 3 or more channels)`);
  if (data.length !== n * c * h * w) throw new Error(`tensor has ${data.length} values, shape [${shape.join(', ')}] needs ${n * c * h * w}`);
  const plane = h * w;
  const out = new Float32Array(n * plane * 3);
  const [a, b] = range === 'signed' ? [0.5, 0.5] : [1, 0];
  for (let k = 0; k < n; k++) {
    for (let ch = 0; ch < 3; ch++) {
      const src = (k * c + (c === 1 ? 0 : ch)) * plane;
      for (let p = 0; p < plane; p++) {
        const v = data[src + p] * a + b;
        out[(k * plane + p) * 3 + ch] = v > 0 ? (v < 1 ? v : 1) : 0;
      }
    }
  }
  return { data: out, shape: [n, h, w, 3] };
}
