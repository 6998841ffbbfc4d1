// Seeded augmentation of square training images: a random crop (a square of 80–100 % of the
// side at a random place, scaled back to the full side) and a horizontal flip. Every call
// draws the same number of random words whatever is switched on, so the stream (and thus a
// resumed run) stays aligned.
import type { RgbImage } from '../../image/index.ts';
import { cropImage, resizeImage } from '../../image/index.ts';
import type { Rng } from '../rng.ts';

export interface AugmentOptions {
  randomCrop: boolean;
  randomFlip: boolean;
  /** Smallest crop side as a fraction of the image side (default 0.8). */
  minCropScale?: number;
}

export interface AugmentDraw {
  /** Crop rectangle (square) in pixels. */
  x: number;
  y: number;
  side: number;
  flip: boolean;
}

/** The augmentation parameters for one image: exactly 4 uniform words from `rng`. */
export function drawAugment(rng: Rng, size: number, opts: AugmentOptions): AugmentDraw {
  const [uScale, uX, uY, uFlip] = rng.uniform(4);
  const min = opts.minCropScale ?? 0.8;
  let side = size;
  let x = 0;
  let y = 0;
  if (opts.randomCrop) {
    side = Math.max(1, Math.min(size, Math.round(size * (min + (1 - min) * uScale))));
    x = Math.floor(uX * (size - side + 1));
    y = Math.floor(uY * (size - side + 1));
  }
  return { x, y, side, flip: opts.randomFlip && uFlip < 0.5 };
}

export function applyAugment(image: RgbImage, d: AugmentDraw): RgbImage {
  let out = image;
  if (d.side !== image.width || d.x !== 0 || d.y !== 0) {
    out = resizeImage(cropImage(image, d.x, d.y, d.side, d.side), image.width, image.height, 'bilinear');
  }
  return d.flip ? flipHorizontal(out) : out;
}

export function flipHorizontal(image: RgbImage): RgbImage {
  const { width: W, height: H, data } = image;
  const out = new Float32Array(data.length);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const s = (r * W + c) * 3;
      const t = (r * W + (W - 1 - c)) * 3;
      out[t] = data[s];
      out[t + 1] = data[s + 1];
      out[t + 2] = data[s + 2];
    }
  }
  return { width: W, height: H, data: out };
}

export function augment(image: RgbImage, rng: Rng, opts: AugmentOptions): RgbImage {
  return applyAugment(image, drawAugment(rng, image.width, opts));
}
