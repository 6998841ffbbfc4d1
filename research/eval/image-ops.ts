// Degradations used to check the classifier's robustness (generated images are noisy and soft).

import { Mulberry32 } from '../datasets/rng.ts';

/** Adds i.i.d. Gaussian noise of std `sigma` to every channel, clamping to [0,1]. Returns a new image. */
export function addGaussianNoise(image: Float32Array, sigma: number, seed: number): Float32Array {
  const rng = new Mulberry32(seed);
  const out = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) {
    const v = image[i] + sigma * rng.normal();
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}

/** Separable Gaussian blur (kernel radius ⌈2σ⌉, edges clamped) of an HWC image with `channels` channels. */
export function gaussianBlur(image: Float32Array, width: number, height: number, sigma: number, channels = 3): Float32Array {
  if (sigma <= 0) return image.slice();
  const rad = Math.max(1, Math.ceil(2 * sigma));
  const k = new Float64Array(2 * rad + 1);
  let sum = 0;
  for (let i = -rad; i <= rad; i++) sum += k[i + rad] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const tmp = new Float32Array(image.length);
  const out = new Float32Array(image.length);
  const clamp = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let i = -rad; i <= rad; i++) s += k[i + rad] * image[(y * width + clamp(x + i, width - 1)) * channels + c];
        tmp[(y * width + x) * channels + c] = s;
      }
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let i = -rad; i <= rad; i++) s += k[i + rad] * tmp[(clamp(y + i, height - 1) * width + x) * channels + c];
        out[(y * width + x) * channels + c] = s;
      }
  return out;
}
