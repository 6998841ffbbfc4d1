import { describe, expect, it } from 'vitest';
import { centerCropRect, resizeBatch, resizeCover, resizeImage, type ResizeMethod } from './resize.ts';
import { gradient } from './image.testing.ts';
import type { RgbImage } from './types.ts';

/** A grey image from rows of values (R = G = B). */
function grey(rows: number[][]): RgbImage {
  const height = rows.length;
  const width = rows[0].length;
  return { width, height, data: Float32Array.from(rows.flat().flatMap((v) => [v, v, v])) };
}
const rowsOf = (img: RgbImage) =>
  Array.from({ length: img.height }, (_, y) => Array.from({ length: img.width }, (_, x) => img.data[(y * img.width + x) * 3]));
const close = (actual: number[][], expected: number[][]) =>
  actual.forEach((r, y) => r.forEach((v, x) => expect(v, `pixel (${x}, ${y})`).toBeCloseTo(expected[y][x], 6)));

describe('resizeImage', () => {
  it('area: a 2× downscale is the mean of each 2×2 block', () => {
    const src = grey([
      [0.1, 0.3, 0.0, 1.0],
      [0.5, 0.7, 0.2, 0.2],
      [0.9, 0.9, 0.4, 0.0],
      [0.9, 0.9, 0.0, 0.4],
    ]);
    close(rowsOf(resizeImage(src, 2, 2, 'area')), [
      [0.4, 0.35],
      [0.9, 0.2],
    ]);
  });

  it('area: fractional coverage for 3 → 2 keeps the mean', () => {
    const out = rowsOf(resizeImage(grey([[0, 0.3, 0.9]]), 2, 1, 'area'));
    close(out, [[0.1, 0.7]]);
  });

  it('area: enlarging by 2 repeats pixels', () => {
    close(rowsOf(resizeImage(grey([[0.2, 0.8]]), 4, 1, 'area')), [[0.2, 0.2, 0.8, 0.8]]);
  });

  it('nearest: picks the pixel under each output centre', () => {
    close(rowsOf(resizeImage(grey([[0, 0.1, 0.2, 0.3]]), 2, 1, 'nearest')), [[0.1, 0.3]]);
    close(rowsOf(resizeImage(grey([[0.1, 0.2], [0.3, 0.4]]), 4, 4, 'nearest')), [
      [0.1, 0.1, 0.2, 0.2],
      [0.1, 0.1, 0.2, 0.2],
      [0.3, 0.3, 0.4, 0.4],
      [0.3, 0.3, 0.4, 0.4],
    ]);
  });

  it('bilinear: half-pixel centres with clamped edges', () => {
    close(rowsOf(resizeImage(grey([[0, 1]]), 4, 1, 'bilinear')), [[0, 0.25, 0.75, 1]]);
    close(rowsOf(resizeImage(grey([[0], [1]]), 1, 4, 'bilinear')), [[0], [0.25], [0.75], [1]]);
  });

  it('keeps channels apart and a constant image constant', () => {
    const src: RgbImage = { width: 5, height: 3, data: Float32Array.from({ length: 45 }, (_, i) => [0.2, 0.5, 0.9][i % 3]) };
    for (const m of ['nearest', 'bilinear', 'area'] as ResizeMethod[]) {
      for (const [w, h] of [[7, 2], [2, 9], [5, 3], [1, 1]]) {
        const out = resizeImage(src, w, h, m);
        for (let i = 0; i < out.data.length; i++) expect(out.data[i]).toBeCloseTo([0.2, 0.5, 0.9][i % 3], 6);
      }
    }
  });

  it('refuses bad sizes and methods', () => {
    const img = gradient(4, 4);
    expect(() => resizeImage(img, 0, 4, 'area')).toThrow(/invalid image size/);
    expect(() => resizeImage(img, 4, -1, 'area')).toThrow(/invalid image size/);
    expect(() => resizeImage(img, 4, 4, 'cubic' as ResizeMethod)).toThrow(/unknown resize method/);
  });

  it('resizes every frame of a batch', () => {
    const a = gradient(4, 4, 1);
    const b = gradient(4, 4, 2);
    const batch = { data: Float32Array.from([...a.data, ...b.data]), shape: [2, 4, 4, 3] as const };
    const out = resizeBatch(batch, 2, 2, 'area');
    expect(out.shape).toEqual([2, 2, 2, 3]);
    expect(Array.from(out.data.subarray(12))).toEqual(Array.from(resizeImage(b, 2, 2, 'area').data));
  });
});

describe('center crop to aspect', () => {
  it('computes the centred rectangle', () => {
    expect(centerCropRect(400, 200, 100, 100)).toEqual({ x: 100, y: 0, width: 200, height: 200 });
    expect(centerCropRect(200, 400, 100, 50)).toEqual({ x: 0, y: 150, width: 200, height: 100 });
    expect(centerCropRect(300, 200, 600, 400)).toEqual({ x: 0, y: 0, width: 300, height: 200 });
  });

  it('resizeCover crops the middle then resizes', () => {
    const src = grey([
      [0.0, 0.1, 0.2, 0.3],
      [0.4, 0.5, 0.6, 0.7],
    ]);
    close(rowsOf(resizeCover(src, 2, 2, 'nearest')), [
      [0.1, 0.2],
      [0.5, 0.6],
    ]);
    close(rowsOf(resizeCover(src, 1, 1, 'area')), [[0.35]]);
  });
});
