// Foreground extraction for the procedural classifier: background = per-channel median of the
// border pixels; each pixel's coverage = its projection onto the background→shape-colour axis
// (robust to noise: the noise component along one axis only), cleaned to the largest blob.

import type { Rgb } from '../datasets/palette.ts';

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Per-channel median of the outermost ring of pixels. */
export function estimateBackground(image: Float32Array, width: number, height: number): Rgb {
  const ch: number[][] = [[], [], []];
  const take = (x: number, y: number) => {
    const o = (y * width + x) * 3;
    for (let c = 0; c < 3; c++) ch[c].push(image[o + c]);
  };
  for (let x = 0; x < width; x++) {
    take(x, 0);
    take(x, height - 1);
  }
  for (let y = 1; y < height - 1; y++) {
    take(0, y);
    take(width - 1, y);
  }
  return [median(ch[0]), median(ch[1]), median(ch[2])];
}

export interface Foreground {
  /** Soft coverage in [0,1] per pixel (H×W), zero outside the kept blob. */
  soft: Float32Array;
  /** Binary mask (coverage > 0.5) of the kept blob. */
  mask: Uint8Array;
  background: Rgb;
  /** Median colour of the blob's core pixels. */
  foreground: Rgb;
  /** RGB distance between foreground and background. */
  contrast: number;
}

/** Finds the main foreground blob; null when nothing stands out from the background. */
export function extractForeground(image: Float32Array, width: number, height: number, minContrast = 0.15): Foreground | null {
  const n = width * height;
  const bg = estimateBackground(image, width, height);
  const dist = new Float32Array(n);
  for (let i = 0; i < n; i++) dist[i] = Math.hypot(image[i * 3] - bg[0], image[i * 3 + 1] - bg[1], image[i * 3 + 2] - bg[2]);
  // Robust maximum: the 98th percentile, so a few hot noise pixels do not set the scale.
  const sorted = Array.from(dist).sort((a, b) => a - b);
  const dmax = sorted[Math.floor(0.98 * (n - 1))];
  if (dmax < minContrast) return null;
  const core: number[][] = [[], [], []];
  for (let i = 0; i < n; i++) if (dist[i] > 0.6 * dmax) for (let c = 0; c < 3; c++) core[c].push(image[i * 3 + c]);
  let fg: Rgb = [median(core[0]), median(core[1]), median(core[2])];
  const proj = (f: Rgb) => {
    const ax = [f[0] - bg[0], f[1] - bg[1], f[2] - bg[2]];
    const inv = 1 / (ax[0] * ax[0] + ax[1] * ax[1] + ax[2] * ax[2]);
    const t = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = ((image[i * 3] - bg[0]) * ax[0] + (image[i * 3 + 1] - bg[1]) * ax[1] + (image[i * 3 + 2] - bg[2]) * ax[2]) * inv;
      t[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    return t;
  };
  let t = proj(fg);
  const blob = largestComponent(t, width, height, 0.5);
  if (!blob) return null;
  // Refine the shape colour from the blob's confident pixels (core of the shape, not the edge).
  const c2: number[][] = [[], [], []];
  for (let i = 0; i < n; i++) if (blob[i] && t[i] > 0.75) for (let c = 0; c < 3; c++) c2[c].push(image[i * 3 + c]);
  if (c2[0].length > 0) {
    fg = [median(c2[0]), median(c2[1]), median(c2[2])];
    t = proj(fg);
  }
  const contrast = Math.hypot(fg[0] - bg[0], fg[1] - bg[1], fg[2] - bg[2]);
  if (contrast < minContrast) return null;
  // Keep the soft edge: coverage within one pixel of the blob.
  const near = dilate(blob, width, height);
  const soft = new Float32Array(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (near[i]) soft[i] = t[i];
    mask[i] = blob[i] && t[i] > 0.5 ? 1 : 0;
  }
  return { soft, mask, background: bg, foreground: fg, contrast };
}

/** Largest 8-connected component of `values > threshold`; null if there is none. */
export function largestComponent(values: ArrayLike<number>, width: number, height: number, threshold: number): Uint8Array | null {
  const n = width * height;
  const label = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  let best = -1;
  let bestSize = 0;
  let next = 0;
  for (let s = 0; s < n; s++) {
    if (label[s] !== -1 || !(values[s] > threshold)) continue;
    const id = next++;
    let size = 0;
    let top = 0;
    stack[top++] = s;
    label[s] = id;
    while (top > 0) {
      const p = stack[--top];
      size++;
      const px = p % width;
      const py = (p - px) / width;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const x = px + dx;
          const y = py + dy;
          if (x < 0 || y < 0 || x >= width || y >= height) continue;
          const q = y * width + x;
          if (label[q] === -1 && values[q] > threshold) {
            label[q] = id;
            stack[top++] = q;
          }
        }
    }
    if (size > bestSize) {
      bestSize = size;
      best = id;
    }
  }
  if (best < 0) return null;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = label[i] === best ? 1 : 0;
  return out;
}

/** 3×3 binary dilation. */
export function dilate(mask: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < width && yy < height) out[yy * width + xx] = 1;
        }
    }
  return out;
}

/** Intersection over union of two masks (binary or soft: Σmin / Σmax). Two empty masks → 1. */
export function maskIoU(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`maskIoU: masks differ in size (${a.length} vs ${b.length})`);
  let inter = 0;
  let uni = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    inter += x < y ? x : y;
    uni += x > y ? x : y;
  }
  return uni === 0 ? 1 : inter / uni;
}
