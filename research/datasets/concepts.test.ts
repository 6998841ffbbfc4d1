import { describe, expect, it } from 'vitest';
import { composeSideBySide, conceptImages } from './concepts.ts';
import { nchwToNhwc, nhwcToNchw } from './layout.ts';
import { RGB } from './palette.ts';
import { renderShape } from './shapes.ts';

describe('concept images', () => {
  it('are deterministic, one colour, captioned with the identifier', () => {
    const a = conceptImages('heart', 4, 3);
    const b = conceptImages('heart', 4, 3);
    expect(a.map((s) => Array.from(s.image))).toEqual(b.map((s) => Array.from(s.image)));
    expect(a.map((s) => s.caption)).toEqual(['a sks heart', 'a sks heart', 'a sks heart', 'a sks heart']);
    expect(a[0].classCaption).toBe('a heart');
    expect(new Set(a.map((s) => s.attrs.color))).toEqual(new Set(['red']));
    expect(new Set(a.map((s) => s.attrs.position)).size).toBe(4);
    expect(conceptImages('moon', 1, 1)[0].caption).toBe('a xvg moon');
    expect(conceptImages('heart', 1, 1, { identifier: null })[0].caption).toBe('a heart');
  });
});

describe('composeSideBySide', () => {
  it('squeezes each image into its half and names both subjects', () => {
    const left = renderShape({ shape: 'heart', color: 'red', background: 'gray', size: 'large', position: 'center' }, 32);
    const right = renderShape({ shape: 'moon', color: 'yellow', background: 'black', size: 'large', position: 'center' }, 32);
    const s = composeSideBySide({ image: left, caption: 'a sks heart' }, { image: right, caption: 'a xvg moon' });
    expect(s.caption).toBe('a sks heart on the left and a xvg moon on the right');
    expect(s.regions).toEqual({ left: [0, 16], right: [16, 32] });
    const px = (x: number, y: number) => Array.from(s.image.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
    const f = (c: readonly number[]) => Array.from(Float32Array.from(c));
    // Corners keep each source's background; the middle of each half shows its shape.
    expect(px(0, 0)).toEqual(f(RGB.gray));
    expect(px(31, 0)).toEqual(f(RGB.black));
    expect(px(8, 16)).toEqual(f(RGB.red));
    let yellow = 0;
    for (let y = 0; y < 32; y++) for (let x = 16; x < 32; x++) if (px(x, y)[2] < 0.3 && px(x, y)[0] > 0.9) yellow++;
    expect(yellow).toBeGreaterThan(20);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 16; x++) expect(px(x, y)[2]).toBeGreaterThan(0.1); // no yellow/black on the left
    expect(() => composeSideBySide({ image: left }, { image: new Float32Array(12) })).toThrow(/must both be/);
  });

  it('layout helpers round-trip NHWC ↔ NCHW', () => {
    const img = renderShape({ shape: 'star', color: 'blue', background: 'white', size: 'large', position: 'left' }, 16);
    const nchw = nhwcToNchw(img, 1, 16, 16);
    expect(nchw[0]).toBeCloseTo(RGB.white[0] * 2 - 1, 6);
    expect(nchw[256]).toBeCloseTo(RGB.white[1] * 2 - 1, 6);
    const back = nchwToNhwc(nchw, 1, 16, 16);
    back.forEach((v, i) => expect(v).toBeCloseTo(img[i], 6));
  });
});
