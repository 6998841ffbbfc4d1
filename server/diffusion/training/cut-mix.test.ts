import { describe, expect, it } from 'vitest';
import { composeSideBySide, mixPrompt, regionMask, stripRegions, tokenPositions, unmixMask } from './cut-mix.ts';

const solid = (w: number, h: number, rgb: [number, number, number]) => {
  const data = new Float32Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(rgb, i * 3);
  return { width: w, height: h, data };
};

describe('Cut-Mix composition', () => {
  it('names each subject by position', () => {
    expect(mixPrompt(['a sks heart', 'a xvg moon'])).toBe('a sks heart on the left and a xvg moon on the right');
    expect(mixPrompt(['a', 'b', 'c'])).toBe('a on the left, b in the middle and c on the right');
    expect(() => mixPrompt(['only one'])).toThrow(/2 to 4 subjects/);
  });

  it('puts subject k in strip k, borders on latent cells', () => {
    const red = solid(16, 16, [1, 0, 0]);
    const blue = solid(16, 16, [0, 0, 1]);
    const { image, regions } = composeSideBySide([red, blue], 16, 16, 2);
    expect(regions).toEqual([{ x0: 0, x1: 4 }, { x0: 4, x1: 8 }]);
    for (let r = 0; r < 16; r++) {
      for (let c = 0; c < 16; c++) {
        const px = Array.from(image.data.subarray((r * 16 + c) * 3, (r * 16 + c) * 3 + 3));
        expect(px).toEqual(c < 8 ? [1, 0, 0] : [0, 0, 1]);
      }
    }
  });

  it('keeps the whole subject (squeezed), not half of it', () => {
    // A one-pixel-wide white column at the right edge of the left image must survive.
    const left = solid(16, 16, [0, 0, 0]);
    for (let r = 0; r < 16; r++) left.data.set([1, 1, 1], (r * 16 + 15) * 3);
    const { image } = composeSideBySide([left, solid(16, 16, [0, 0, 0])], 16, 16, 2);
    const col7 = image.data[(5 * 16 + 7) * 3];
    expect(col7).toBeGreaterThan(0.4);
  });

  it('region masks at latent and coarser resolutions', () => {
    const regions = stripRegions(2, 8);
    expect(Array.from(regionMask(regions[0], 8, 1, 8))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(regionMask(regions[1], 8, 2, 4))).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    expect(stripRegions(3, 8)).toEqual([{ x0: 0, x1: 3 }, { x0: 3, x1: 5 }, { x0: 5, x1: 8 }]);
  });

  it('unmix mask marks identifier tokens outside their region only', () => {
    const ids = [1, 4, 5, 9, 2, 0]; // BOS a sks heart … (token 5 = sks, 7 = xvg absent here)
    expect(tokenPositions(ids, [5])).toEqual([2]);
    const regions = stripRegions(2, 4);
    const m = unmixMask({ regions, tokens: [[2], [3]] }, 4, 1, 4, 6);
    // positions 0,1 are subject 0's: token 3 (subject 1) is penalised there; 2,3: token 2.
    const row = (p: number) => Array.from(m.subarray(p * 6, p * 6 + 6));
    expect(row(0)).toEqual([0, 0, 0, 1, 0, 0]);
    expect(row(1)).toEqual([0, 0, 0, 1, 0, 0]);
    expect(row(2)).toEqual([0, 0, 1, 0, 0, 0]);
    expect(row(3)).toEqual([0, 0, 1, 0, 0, 0]);
  });
});
