import { describe, expect, it } from 'vitest';
import { halfToFloat32 } from './float16.ts';
import { DataType } from './proto.ts';
import { makeTensor, tensorToNumbers, toTyped } from './tensor.ts';

describe('half-precision tensors from and to numbers', () => {
  it('toTyped rounds numbers to half bit patterns; tensorToNumbers decodes them (not their bits)', () => {
    const h = toTyped([2, 0.1, -65504, 1e-8], 'float16');
    expect(h).toBeInstanceOf(Uint16Array);
    expect(Array.from(halfToFloat32(h as Uint16Array))).toEqual([2, 0.0999755859375, -65504, 0]);
    const t = makeTensor('c', [2, 0.5], [2], 'float16');
    expect(t.dataType).toBe(DataType.FLOAT16);
    expect(tensorToNumbers(t)).toEqual([2, 0.5]);
    expect(tensorToNumbers({ name: 'b', dims: [1], dataType: DataType.BFLOAT16, rawData: new Uint8Array(Uint16Array.of(0x3fc0).buffer) })).toEqual([1.5]);
  });
});
