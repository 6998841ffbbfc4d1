// Tiles a batch into one image, row by row (e.g. a sweep of interpolation weights).
import type { ImageBatch } from '../core/index.ts';
import { checkBatch } from './batch.ts';
import { checkImageSize } from './types.ts';

export interface GridOptions {
  /** Pixels between tiles and around the edge. */
  padding?: number;
  /** Fill for padding and empty cells, in [0,1] (grey level). */
  background?: number;
}

/**
 * One image of `min(columns, n)` columns and `ceil(n / columns)` rows; the last row may have
 * empty (background) cells. Returns a batch of one.
 */
export function gridImage(batch: ImageBatch, columns: number, opts: GridOptions = {}): ImageBatch {
  checkBatch(batch);
  if (!Number.isInteger(columns) || columns < 1) throw new Error(`grid columns must be a positive integer, got ${columns}`);
  const padding = opts.padding ?? 0;
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`grid padding must be a non-negative integer, got ${padding}`);
  const [n, h, w] = batch.shape;
  const cols = Math.min(columns, n);
  const rows = Math.ceil(n / cols);
  const W = cols * w + (cols + 1) * padding;
  const H = rows * h + (rows + 1) * padding;
  checkImageSize(W, H);
  const out = new Float32Array(W * H * 3);
  const bg = opts.background ?? 0;
  if (bg !== 0) out.fill(bg);
  for (let i = 0; i < n; i++) {
    const x0 = padding + (i % cols) * (w + padding);
    const y0 = padding + Math.floor(i / cols) * (h + padding);
    for (let r = 0; r < h; r++) {
      const s = ((i * h + r) * w) * 3;
      out.set(batch.data.subarray(s, s + w * 3), ((y0 + r) * W + x0) * 3);
    }
  }
  return { data: out, shape: [1, H, W, 3] };
}
