import { describe, expect, it } from 'vitest';
import { float32ToHalf, fromHalfBits, halfToFloat32, toHalfBits } from './float16.ts';

describe('float16 conversion', () => {
  it('encodes known bit patterns', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(1e6)).toBe(0x7c00);
    expect(toHalfBits(-Infinity)).toBe(0xfc00);
    expect(toHalfBits(2 ** -24)).toBe(0x0001);
    expect(toHalfBits(0.1)).toBe(0x2e66);
    expect(Number.isNaN(fromHalfBits(toHalfBits(NaN)))).toBe(true);
  });

  it('rounds to nearest even and round-trips every half value', () => {
    // 1 + 2^-11 is halfway between 1 and the next half: ties to even (1).
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    const bad: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue; // NaNs
      if (toHalfBits(fromHalfBits(h)) !== h) bad.push(h);
    }
    expect(bad).toEqual([]);
  });

  it('converts arrays both ways', () => {
    const a = Float32Array.of(0, 0.5, -3.25, 1024);
    expect(Array.from(halfToFloat32(float32ToHalf(a)))).toEqual([0, 0.5, -3.25, 1024]);
  });
});
