import { describe, expect, it } from 'vitest';
import { batchToNchw, nchwToBatch } from './tensor.ts';
import { stackImages } from './batch.ts';
import { gradient } from './image.testing.ts';

describe('NCHW conversion', () => {
  it('transposes NHWC → NCHW and maps [0,1] → [-1,1]', () => {
    // 1×1×2 image: pixels (r,g,b) = (0, 0.5, 1) and (0.25, 0.75, 0.5)
    const batch = { data: Float32Array.of(0, 0.5, 1, 0.25, 0.75, 0.5), shape: [1, 1, 2, 3] as const };
    expect(batchToNchw(batch)).toEqual({ data: Float32Array.of(0, 0.25, 0.5, 0.75, 1, 0.5), shape: [1, 3, 1, 2] });
    expect(Array.from(batchToNchw(batch, 'signed').data)).toEqual([-1, -0.5, 0, 0.5, 1, 0]);
  });

  it('round-trips a batch exactly', () => {
    const batch = stackImages([gradient(5, 3, 1), gradient(5, 3, 2)]);
    for (const r of ['unit', 'signed'] as const) {
      const t = batchToNchw(batch, r);
      expect(t.shape).toEqual([2, 3, 3, 5]);
      const back = nchwToBatch(t.data, t.shape, r);
      expect(back.shape).toEqual(batch.shape);
      back.data.forEach((v, i) => expect(v).toBeCloseTo(batch.data[i], 6));
    }
  });

  it('clamps, repeats one channel, drops a fourth', () => {
    expect(Array.from(nchwToBatch(Float32Array.of(-3, 0, 3), [1, 1, 1, 3], 'signed').data)).toEqual([0, 0, 0, 0.5, 0.5, 0.5, 1, 1, 1]);
    expect(Array.from(nchwToBatch(Float32Array.of(0.1, 0.2, 0.3, 0.9), [1, 4, 1, 1]).data)).toEqual([0.1, 0.2, 0.3].map(Math.fround));
  });

  it('refuses bad shapes', () => {
    expect(() => nchwToBatch(new Float32Array(8), [1, 2, 2, 2])).toThrow(/needs 1, 3 or more channels/);
    expect(() => nchwToBatch(new Float32Array(5), [1, 3, 1, 2])).toThrow(/needs 6/);
    expect(() => nchwToBatch(new Float32Array(6), [3, 1, 2])).toThrow(/NCHW/);
  });
});
