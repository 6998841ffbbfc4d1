import { describe, expect, it } from 'vitest';
import type { ImageBatch, NodeContext } from './define.ts';
import ImageBatchNode from './image-batch.ts';

const img = (n: number, h: number, w: number, v: number): ImageBatch => ({ data: new Float32Array(n * h * w * 3).fill(v), shape: [n, h, w, 3] });
const ctx = {} as NodeContext;

describe('ImageBatch', () => {
  it('joins batches in input order, skipping unconnected inputs', async () => {
    const out = (await ImageBatchNode.run({ image_1: img(2, 4, 6, 0.1), image_3: img(1, 4, 6, 0.7) } as never, ctx)).outputs[0] as ImageBatch;
    expect(out.shape).toEqual([3, 4, 6, 3]);
    const frame = 4 * 6 * 3;
    expect([out.data[0], out.data[frame], out.data[2 * frame]].map((v) => Math.round(v * 10))).toEqual([1, 1, 7]);
  });

  it('names the input whose size differs', async () => {
    await expect(ImageBatchNode.run({ image_1: img(1, 4, 6, 0), image_2: img(1, 4, 6, 0), image_4: img(1, 5, 6, 0) } as never, ctx)).rejects.toThrow(
      /input "image_4": is 6×5, image_1 is 6×4/,
    );
  });
});
