import { afterAll, describe, expect, it } from 'vitest';
import ImageScale from './image-scale.ts';
import { stackImages } from '../server/image/index.ts';
import { gradient, tempStorage, testContext } from '../server/image/image.testing.ts';
import type { ImageBatch } from './define.ts';

const { storage, cleanup } = tempStorage();
const ctx = testContext(storage);
afterAll(cleanup);

const grey = (w: number, h: number, f: (x: number, y: number) => number): ImageBatch => {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill(f(x, y), (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { data, shape: [1, h, w, 3] };
};
const px = (b: ImageBatch, x: number, y: number, n = 0) => b.data[((n * b.shape[1] + y) * b.shape[2] + x) * 3];
const out = async (p: Promise<{ outputs: unknown }>) => ((await p).outputs as unknown[])[0] as ImageBatch;

describe('ImageScale', () => {
  const img = grey(4, 4, (x, y) => (x < 2 ? 0.2 : 0.6) + (y < 2 ? 0 : 0.2));

  it('area downscale averages blocks; nearest and bilinear sizes', async () => {
    const a = await out(ImageScale.run({ image: img, upscale_method: 'area', width: 2, height: 2, crop: 'disabled' }, ctx));
    expect(a.shape).toEqual([1, 2, 2, 3]);
    expect([px(a, 0, 0), px(a, 1, 0), px(a, 0, 1), px(a, 1, 1)].map((v) => +v.toFixed(5))).toEqual([0.2, 0.6, 0.4, 0.8]);
    const n = await out(ImageScale.run({ image: img, upscale_method: 'nearest', width: 8, height: 2, crop: 'disabled' }, ctx));
    expect(n.shape).toEqual([1, 2, 8, 3]);
    expect(px(n, 7, 1)).toBeCloseTo(0.8, 6);
    const b = await out(ImageScale.run({ image: img, upscale_method: 'bilinear', width: 3, height: 5, crop: 'disabled' }, ctx));
    expect(b.shape).toEqual([1, 5, 3, 3]);
  });

  it('crop center keeps the middle instead of stretching', async () => {
    const wide = grey(6, 2, (x) => x / 10);
    const c = await out(ImageScale.run({ image: wide, upscale_method: 'nearest', width: 2, height: 2, crop: 'center' }, ctx));
    expect([px(c, 0, 0), px(c, 1, 0)].map((v) => +v.toFixed(5))).toEqual([0.2, 0.3]);
  });

  it('scales every frame of a batch', async () => {
    const r = await out(ImageScale.run({ image: stackImages([gradient(8, 8, 1), gradient(8, 8, 2)]), upscale_method: 'area', width: 4, height: 2, crop: 'disabled' }, ctx));
    expect(r.shape).toEqual([2, 2, 4, 3]);
  });

  it('refuses bad sizes and options, naming the input', async () => {
    const run = (o: Record<string, unknown>) => ImageScale.run({ image: img, upscale_method: 'area', width: 2, height: 2, crop: 'disabled', ...o } as never, ctx);
    await expect(run({ width: 0 })).rejects.toThrow('input "width": must be an integer from 1 to 8192, got 0');
    await expect(run({ height: 8193 })).rejects.toThrow(/input "height": must be an integer from 1 to 8192/);
    await expect(run({ width: 2.5 })).rejects.toThrow(/input "width"/);
    await expect(run({ upscale_method: 'lanczos' })).rejects.toThrow(/input "upscale_method": unknown method "lanczos"/);
    await expect(run({ crop: 'top' })).rejects.toThrow(/input "crop": unknown option "top"/);
  });
});
