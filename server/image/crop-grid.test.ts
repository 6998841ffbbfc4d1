import { describe, expect, it } from 'vitest';
import type { ImageBatch } from '../../nodes/define.ts';
import { batchFrame, batchToPngs, checkBatch, stackImages } from './batch.ts';
import { cropBatch, cropImage } from './crop.ts';
import { gridImage } from './grid.ts';
import { decodePng, readPngText } from './png.ts';
import { gradient } from './image.testing.ts';

/** A batch of n w×h frames where frame k is filled with (k+1)/10. */
function flatBatch(n: number, w: number, h: number): ImageBatch {
  const data = new Float32Array(n * w * h * 3);
  for (let k = 0; k < n; k++) data.fill((k + 1) / 10, k * w * h * 3, (k + 1) * w * h * 3);
  return { data, shape: [n, h, w, 3] };
}

describe('crop', () => {
  it('cuts the rectangle at (x, y)', () => {
    const img = gradient(6, 5);
    const c = cropImage(img, 2, 1, 3, 2);
    expect([c.width, c.height]).toEqual([3, 2]);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 3; x++)
        for (let ch = 0; ch < 3; ch++) expect(c.data[(y * 3 + x) * 3 + ch]).toBe(img.data[((y + 1) * 6 + x + 2) * 3 + ch]);
    expect(cropImage(img, 0, 0, 6, 5).data).toEqual(img.data);
  });

  it('refuses rectangles outside the image', () => {
    const img = gradient(6, 5);
    expect(() => cropImage(img, 4, 0, 3, 1)).toThrow(/does not fit inside the 6×5 image/);
    expect(() => cropImage(img, 0, 5, 1, 1)).toThrow(/does not fit/);
    expect(() => cropImage(img, -1, 0, 1, 1)).toThrow(/does not fit/);
    expect(() => cropImage(img, 0, 0, 0, 1)).toThrow(/empty/);
    expect(() => cropImage(img, 0.5, 0, 1, 1)).toThrow(/integer/);
  });

  it('crops every frame', () => {
    const out = cropBatch(flatBatch(3, 4, 4), 1, 1, 2, 2);
    expect(out.shape).toEqual([3, 2, 2, 3]);
    expect(out.data[out.data.length - 1]).toBeCloseTo(0.3, 6);
  });
});

describe('grid', () => {
  it('tiles row by row with empty cells in the last row', () => {
    const g = gridImage(flatBatch(5, 2, 3), 3);
    expect(g.shape).toEqual([1, 6, 6, 3]);
    const px = (x: number, y: number) => g.data[(y * 6 + x) * 3];
    expect([px(0, 0), px(2, 0), px(4, 2), px(0, 3), px(3, 5), px(4, 3), px(5, 5)].map((v) => Math.round(v * 10))).toEqual([1, 2, 3, 4, 5, 0, 0]);
  });

  it('uses fewer columns than asked when the batch is small, and pads', () => {
    const g = gridImage(flatBatch(2, 2, 2), 8, { padding: 1, background: 1 });
    expect(g.shape).toEqual([1, 4, 7, 3]);
    const px = (x: number, y: number) => g.data[(y * 7 + x) * 3];
    expect([px(0, 0), px(1, 1), px(2, 2), px(3, 1), px(4, 1), px(5, 2), px(6, 3)]).toEqual([1, 0.1, 0.1, 1, 0.2, 0.2, 1].map(Math.fround));
  });

  it('refuses bad columns', () => {
    expect(() => gridImage(flatBatch(2, 2, 2), 0)).toThrow(/columns/);
    expect(() => gridImage(flatBatch(2, 2, 2), 1.5)).toThrow(/columns/);
  });
});

describe('batch helpers', () => {
  it('stacks, splits and validates', () => {
    const a = gradient(3, 2, 1);
    const b = gradient(3, 2, 2);
    const batch = stackImages([a, b]);
    expect(batch.shape).toEqual([2, 2, 3, 3]);
    expect(batchFrame(batch, 1).data).toEqual(b.data);
    expect(() => stackImages([a, gradient(2, 3)])).toThrow(/image 1 is 2×3, the first is 3×2/);
    expect(() => batchFrame(batch, 2)).toThrow(/outside a batch of 2/);
    expect(() => checkBatch({ data: new Float32Array(5), shape: [1, 1, 1, 3] })).toThrow(/needs 3/);
    expect(() => checkBatch({ data: new Float32Array(4), shape: [1, 1, 1, 4] })).toThrow(/4 channels/);
  });

  it('encodes each frame with the same text', () => {
    const pngs = batchToPngs(stackImages([gradient(3, 2, 1), gradient(3, 2, 2)]), { k: 'v' });
    expect(pngs).toHaveLength(2);
    expect(decodePng(pngs[1]).data).toEqual(gradient(3, 2, 2).data);
    expect(readPngText(pngs[0])).toEqual({ k: 'v' });
  });
});
