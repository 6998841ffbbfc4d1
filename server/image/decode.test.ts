import { describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { decodeImage, probeImage, sniffImageFormat } from './decode.ts';
import { encodePng } from './png.ts';
import { gradient } from './image.testing.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('decodeImage', () => {
  it('picks the codec from the magic bytes', () => {
    const png = encodePng(gradient(5, 4).data, 5, 4);
    const jpg = new Uint8Array(jpeg.encode({ width: 8, height: 6, data: new Uint8Array(8 * 6 * 4).fill(200) }, 90).data);
    expect(sniffImageFormat(png)).toBe('png');
    expect(sniffImageFormat(jpg)).toBe('jpeg');
    expect(decodeImage(png).width).toBe(5);
    const j = decodeImage(jpg);
    expect([j.width, j.height]).toEqual([8, 6]);
    expect(j.data[0]).toBeCloseTo(200 / 255, 1);
    expect(probeImage(png)).toEqual({ format: 'png', width: 5, height: 4 });
    expect(probeImage(jpg)).toEqual({ format: 'jpeg', width: 8, height: 6 });
  });

  it('names unsupported formats and refuses anything else', () => {
    expect(() => decodeImage(ascii('GIF89a......'))).toThrow(/GIF images are not supported/);
    expect(() => decodeImage(ascii('RIFF\0\0\0\0WEBPVP8 '))).toThrow(/WebP images are not supported/);
    expect(() => decodeImage(ascii('BM..........'))).toThrow(/BMP/);
    expect(() => decodeImage(ascii('hello, world'))).toThrow(/not a PNG or JPEG image/);
    expect(() => decodeImage(new Uint8Array(0))).toThrow(/not a PNG or JPEG image/);
    expect(() => probeImage(ascii('<svg></svg>'))).toThrow(/not a PNG or JPEG image/);
  });
});
