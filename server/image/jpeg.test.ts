import { describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { applyOrientation, decodeJpeg, jpegOrientation, jpegSize } from './jpeg.ts';
import { gradient } from './image.testing.ts';
import type { RgbImage } from './types.ts';

function encodeJpeg(img: RgbImage, quality = 95): Uint8Array {
  const rgba = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = Math.round(img.data[i * 3 + c] * 255);
    rgba[i * 4 + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ width: img.width, height: img.height, data: rgba }, quality).data);
}

/** Inserts an APP1 Exif segment holding only an orientation tag (big- or little-endian TIFF). */
function withOrientation(file: Uint8Array, orientation: number, littleEndian = false): Uint8Array {
  const tiff = new DataView(new ArrayBuffer(26));
  tiff.setUint16(0, littleEndian ? 0x4949 : 0x4d4d);
  tiff.setUint16(2, 42, littleEndian);
  tiff.setUint32(4, 8, littleEndian);
  tiff.setUint16(8, 1, littleEndian); // one IFD entry
  tiff.setUint16(10, 0x0112, littleEndian);
  tiff.setUint16(12, 3, littleEndian); // SHORT
  tiff.setUint32(14, 1, littleEndian);
  tiff.setUint16(18, orientation, littleEndian);
  tiff.setUint32(22, 0, littleEndian); // no next IFD
  const payload = new Uint8Array([...new TextEncoder().encode('Exif\0\0'), ...new Uint8Array(tiff.buffer)]);
  const seg = new Uint8Array([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload]);
  return new Uint8Array([...file.subarray(0, 2), ...seg, ...file.subarray(2)]);
}

/** 16×8: left half red, right half blue (8×8 blocks, so JPEG keeps the colours close). */
function halves(): RgbImage {
  const img = { width: 16, height: 8, data: new Float32Array(16 * 8 * 3) };
  for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) img.data[(y * 16 + x) * 3 + (x < 8 ? 0 : 2)] = 1;
  return img;
}

const at = (img: RgbImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('JPEG decode', () => {
  it('decodes close to the encoded pixels', () => {
    const src = gradient(32, 24, 5);
    const img = decodeJpeg(encodeJpeg(src, 100));
    expect([img.width, img.height]).toEqual([32, 24]);
    let err = 0;
    for (let i = 0; i < src.data.length; i++) err += Math.abs(img.data[i] - src.data[i]);
    expect(err / src.data.length).toBeLessThan(0.03);
    expect(jpegSize(encodeJpeg(src))).toEqual({ width: 32, height: 24 });
  });

  it('applies EXIF orientation (rotate 90° clockwise and counter-clockwise)', () => {
    const file = encodeJpeg(halves());
    expect(jpegOrientation(file)).toBe(1);
    const cw = decodeJpeg(withOrientation(file, 6));
    expect([cw.width, cw.height]).toEqual([8, 16]);
    expect(jpegSize(withOrientation(file, 6))).toEqual({ width: 8, height: 16 });
    // The red left half ends up on top.
    expect(at(cw, 4, 3)[0]).toBeGreaterThan(0.9);
    expect(at(cw, 4, 12)[2]).toBeGreaterThan(0.9);
    const ccw = decodeJpeg(withOrientation(file, 8, true));
    expect(jpegOrientation(withOrientation(file, 8, true))).toBe(8);
    expect(at(ccw, 4, 3)[2]).toBeGreaterThan(0.9);
    expect(at(ccw, 4, 12)[0]).toBeGreaterThan(0.9);
  });

  it('ignores unknown orientation values and broken EXIF', () => {
    const file = encodeJpeg(halves());
    expect(jpegOrientation(withOrientation(file, 42))).toBe(1);
    const broken = withOrientation(file, 6);
    broken[2 + 4 + 6 + 4 + 3] = 200; // IFD offset far past the segment
    expect(jpegOrientation(broken)).toBe(1);
  });

  it('rejects truncated or non-JPEG data with a readable error', () => {
    const file = encodeJpeg(gradient(16, 16));
    expect(() => decodeJpeg(file.subarray(0, 100))).toThrow(/JPEG/);
    expect(() => decodeJpeg(new Uint8Array([1, 2, 3, 4]))).toThrow(/not a JPEG/);
  });
});

describe('applyOrientation', () => {
  // a b c
  // d e f
  const src: RgbImage = { width: 3, height: 2, data: Float32Array.from([1, 2, 3, 4, 5, 6].flatMap((v) => [v, v, v])) };
  const grey = (img: RgbImage) => Array.from(img.data.filter((_, i) => i % 3 === 0));
  const cases: [number, number, number, number[]][] = [
    [1, 3, 2, [1, 2, 3, 4, 5, 6]],
    [2, 3, 2, [3, 2, 1, 6, 5, 4]], // mirror
    [3, 3, 2, [6, 5, 4, 3, 2, 1]], // 180°
    [4, 3, 2, [4, 5, 6, 1, 2, 3]], // flip
    [5, 2, 3, [1, 4, 2, 5, 3, 6]], // transpose
    [6, 2, 3, [4, 1, 5, 2, 6, 3]], // 90° clockwise
    [7, 2, 3, [6, 3, 5, 2, 4, 1]], // transverse
    [8, 2, 3, [3, 6, 2, 5, 1, 4]], // 90° counter-clockwise
  ];
  it.each(cases)('orientation %i', (o, w, h, expected) => {
    const out = applyOrientation(src, o);
    expect([out.width, out.height]).toEqual([w, h]);
    expect(grey(out)).toEqual(expected);
  });
});
