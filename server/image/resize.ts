// Separable resampling of RGB images. Each axis gets a table of (source index, weight)
// per output index, so the three methods share one loop.
//   nearest:  the source pixel under the output pixel's centre (torch's "nearest-exact").
//   bilinear: half-pixel centres, edges clamped, no antialiasing (torch, align_corners=False).
//   area:     box filter; each output pixel is the exact coverage-weighted mean of the source
//             pixels under it (a 2× downscale averages 2×2 blocks).
import type { ImageBatch } from '../core/index.ts';
import { batchFrames, checkBatch, stackImages } from './batch.ts';
import { cropImage } from './crop.ts';
import { checkImageSize, type RgbImage } from './types.ts';

export type ResizeMethod = 'nearest' | 'bilinear' | 'area';
export const RESIZE_METHODS: readonly ResizeMethod[] = ['nearest', 'bilinear', 'area'];

interface AxisWeights {
  /** Output i uses sources idx[start[i] .. start[i+1]) with weights wt[…]. */
  start: Int32Array;
  idx: Int32Array;
  wt: Float64Array;
}

function axisWeights(n: number, m: number, method: ResizeMethod): AxisWeights {
  const start = new Int32Array(m + 1);
  const idx: number[] = [];
  const wt: number[] = [];
  for (let i = 0; i < m; i++) {
    start[i] = idx.length;
    if (method === 'nearest') {
      idx.push(Math.min(n - 1, Math.floor(((i + 0.5) * n) / m)));
      wt.push(1);
    } else if (method === 'bilinear') {
      const c = Math.min(n - 1, Math.max(0, ((i + 0.5) * n) / m - 0.5));
      const i0 = Math.floor(c);
      const t = c - i0;
      idx.push(i0);
      wt.push(1 - t);
      if (t > 0) {
        idx.push(i0 + 1);
        wt.push(t);
      }
    } else {
      // In units of 1/m source pixels: output i spans [i·n, (i+1)·n), source j spans [j·m, (j+1)·m).
      const lo = i * n;
      const hi = lo + n;
      for (let j = Math.floor(lo / m); j * m < hi; j++) {
        const overlap = Math.min(hi, (j + 1) * m) - Math.max(lo, j * m);
        if (overlap > 0) {
          idx.push(j);
          wt.push(overlap / n);
        }
      }
    }
  }
  start[m] = idx.length;
  return { start, idx: Int32Array.from(idx), wt: Float64Array.from(wt) };
}

export function resizeImage(image: RgbImage, width: number, height: number, method: ResizeMethod): RgbImage {
  checkImageSize(width, height);
  if (!RESIZE_METHODS.includes(method)) throw new Error(`unknown resize method "${method}"`);
  const { width: W, height: H, data } = image;
  if (W === width && H === height) return { width, height, data: data.slice() };
  // Horizontal pass: H×W → H×width.
  const ax = axisWeights(W, width, method);
  const tmp = new Float32Array(H * width * 3);
  for (let y = 0; y < H; y++) {
    const row = y * W * 3;
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      for (let k = ax.start[x]; k < ax.start[x + 1]; k++) {
        const s = row + ax.idx[k] * 3;
        const w = ax.wt[k];
        r += data[s] * w;
        g += data[s + 1] * w;
        b += data[s + 2] * w;
      }
      const d = (y * width + x) * 3;
      tmp[d] = r;
      tmp[d + 1] = g;
      tmp[d + 2] = b;
    }
  }
  // Vertical pass: H×width → height×width.
  const ay = axisWeights(H, height, method);
  const out = new Float32Array(height * width * 3);
  const stride = width * 3;
  for (let y = 0; y < height; y++) {
    const d = y * stride;
    for (let k = ay.start[y]; k < ay.start[y + 1]; k++) {
      const s = ay.idx[k] * stride;
      const w = ay.wt[k];
      for (let i = 0; i < stride; i++) out[d + i] += tmp[s + i] * w;
    }
  }
  return { width, height, data: out };
}

export function resizeBatch(batch: ImageBatch, width: number, height: number, method: ResizeMethod): ImageBatch {
  checkBatch(batch);
  return stackImages(batchFrames(batch).map((f) => resizeImage(f, width, height, method)));
}

/** The centred rectangle of a W×H image with the aspect ratio of width×height. */
export function centerCropRect(W: number, H: number, width: number, height: number): { x: number; y: number; width: number; height: number } {
  // Compare W/H with width/height without dividing.
  if (W * height > width * H) {
    const cw = Math.max(1, Math.min(W, Math.round((H * width) / height)));
    return { x: Math.floor((W - cw) / 2), y: 0, width: cw, height: H };
  }
  const ch = Math.max(1, Math.min(H, Math.round((W * height) / width)));
  return { x: 0, y: Math.floor((H - ch) / 2), width: W, height: ch };
}

/** Crops the centre to the target aspect ratio, then resizes: fills width×height without distortion. */
export function resizeCover(image: RgbImage, width: number, height: number, method: ResizeMethod): RgbImage {
  checkImageSize(width, height);
  const r = centerCropRect(image.width, image.height, width, height);
  return resizeImage(cropImage(image, r.x, r.y, r.width, r.height), width, height, method);
}

export function resizeCoverBatch(batch: ImageBatch, width: number, height: number, method: ResizeMethod): ImageBatch {
  checkBatch(batch);
  return stackImages(batchFrames(batch).map((f) => resizeCover(f, width, height, method)));
}

/**
 * One channel (W×H samples, row-major) resized with the weights resizeImage gives each of its
 * channels, e.g. a mask's alpha, without spreading it over three float channels first.
 */
export function resizePlane(data: ArrayLike<number>, W: number, H: number, width: number, height: number, method: ResizeMethod): Float32Array {
  checkImageSize(width, height);
  if (!RESIZE_METHODS.includes(method)) throw new Error(`unknown resize method "${method}"`);
  if (data.length !== W * H) throw new Error(`resizePlane: data has ${data.length} values, expected ${W}×${H} = ${W * H}`);
  if (W === width && H === height) return Float32Array.from(data);
  const ax = axisWeights(W, width, method);
  const tmp = new Float32Array(H * width);
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (let k = ax.start[x]; k < ax.start[x + 1]; k++) v += data[row + ax.idx[k]] * ax.wt[k];
      tmp[y * width + x] = v;
    }
  }
  const ay = axisWeights(H, height, method);
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    const d = y * width;
    for (let k = ay.start[y]; k < ay.start[y + 1]; k++) {
      const s = ay.idx[k] * width;
      const w = ay.wt[k];
      for (let i = 0; i < width; i++) out[d + i] += tmp[s + i] * w;
    }
  }
  return out;
}
