import { afterAll, describe, expect, it } from 'vitest';
import ImageGrid from './image-grid.ts';
import { stackImages } from '../server/image/index.ts';
import { tempStorage, testContext } from '../server/image/image.testing.ts';
import type { ImageBatch } from './define.ts';

const { storage, cleanup } = tempStorage();
const ctx = testContext(storage);
afterAll(cleanup);

const px = (b: ImageBatch, x: number, y: number, n = 0) => b.data[((n * b.shape[1] + y) * b.shape[2] + x) * 3];
const out = async (p: Promise<{ outputs: unknown }>) => ((await p).outputs as unknown[])[0] as ImageBatch;

describe('ImageGrid', () => {
  const batch: ImageBatch = stackImages([1, 2, 3, 4, 5].map((k) => ({ width: 2, height: 2, data: new Float32Array(12).fill(k / 10) })));

  it('tiles the batch into rows of `columns`', async () => {
    const g = await out(ImageGrid.run({ images: batch, columns: 2, padding: 0 }, ctx));
    expect(g.shape).toEqual([1, 6, 4, 3]);
    expect([px(g, 0, 0), px(g, 2, 0), px(g, 1, 3), px(g, 3, 2), px(g, 0, 4), px(g, 3, 5)].map((v) => +v.toFixed(5))).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 1]);
  });

  it('pads with white', async () => {
    const g = await out(ImageGrid.run({ images: batch, columns: 5, padding: 1 }, ctx));
    expect(g.shape).toEqual([1, 4, 16, 3]);
    expect([px(g, 0, 0), px(g, 1, 1), px(g, 3, 1), px(g, 4, 1)].map((v) => +v.toFixed(5))).toEqual([1, 0.1, 1, 0.2]);
  });

  it('refuses bad columns and padding', async () => {
    await expect(ImageGrid.run({ images: batch, columns: 0, padding: 0 }, ctx)).rejects.toThrow('input "columns": must be an integer from 1 to 64, got 0');
    await expect(ImageGrid.run({ images: batch, columns: 2, padding: -1 }, ctx)).rejects.toThrow(/input "padding"/);
  });
});
