import { afterAll, describe, expect, it } from 'vitest';
import ImageCrop from './image-crop.ts';
import { stackImages } from '../server/image/index.ts';
import { gradient, tempStorage, testContext } from '../server/image/image.testing.ts';
import type { ImageBatch } from './define.ts';

const { storage, cleanup } = tempStorage();
const ctx = testContext(storage);
afterAll(cleanup);

const px = (b: ImageBatch, x: number, y: number, n = 0) => b.data[((n * b.shape[1] + y) * b.shape[2] + x) * 3];
const out = async (p: Promise<{ outputs: unknown }>) => ((await p).outputs as unknown[])[0] as ImageBatch;

describe('ImageCrop', () => {
  const img = stackImages([gradient(10, 8, 1), gradient(10, 8, 2)]);

  it('crops every frame at (x, y)', async () => {
    const c = await out(ImageCrop.run({ image: img, width: 3, height: 2, x: 7, y: 6 }, ctx));
    expect(c.shape).toEqual([2, 2, 3, 3]);
    const src = gradient(10, 8, 2);
    expect(px(c, 2, 1, 1)).toBe(src.data[(7 * 10 + 9) * 3]);
  });

  it('refuses rectangles that do not fit, naming the input at fault', async () => {
    const run = (o: Record<string, unknown>) => ImageCrop.run({ image: img, width: 4, height: 4, x: 0, y: 0, ...o } as never, ctx);
    await expect(run({ x: 10 })).rejects.toThrow(/^input "x": the 4×4 crop at \(10, 0\) does not fit inside the 10×8 image/);
    await expect(run({ y: 8 })).rejects.toThrow(/^input "y":/);
    await expect(run({ x: 7 })).rejects.toThrow(/^input "width": .*at most 3 wide from x = 7/);
    await expect(run({ y: 5 })).rejects.toThrow(/^input "height": .*at most 3 high/);
    await expect(run({ width: 0 })).rejects.toThrow(/^input "width": must be an integer from 1/);
    await expect(run({ x: -1 })).rejects.toThrow(/^input "x": must be an integer from 0/);
  });
});
