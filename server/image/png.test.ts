import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { deflateSync } from 'node:zlib';
import { decodePng, encodePng, readPngText, toByte } from './png.ts';
import { joinPngChunks, splitPngChunks } from './png-chunks.ts';
import { gradient, rawPng } from './image.testing.ts';

function pngjsWrite(width: number, height: number, data: Buffer, opts: ConstructorParameters<typeof PNG>[0] & object): Uint8Array {
  return PNG.sync.write({ width, height, data, gamma: 0 } as unknown as PNG, opts);
}

describe('PNG codec', () => {
  it('round-trips 8-bit RGB exactly', () => {
    const img = gradient(13, 7, 3);
    const back = decodePng(encodePng(img.data, 13, 7));
    expect(back.width).toBe(13);
    expect(back.height).toBe(7);
    expect(Array.from(back.data)).toEqual(Array.from(img.data));
  });

  it('clamps, rounds and zeroes NaN when encoding', () => {
    const data = Float32Array.of(-0.5, 1.5, NaN, 0.5, 0.2, 1 / 255 + 0.001);
    const back = decodePng(encodePng(data, 2, 1));
    expect(Array.from(back.data, (v) => Math.round(v * 255))).toEqual([0, 255, 0, 128, 51, 1]);
    expect(toByte(0.499 / 255)).toBe(0);
  });

  it('refuses data of the wrong length', () => {
    expect(() => encodePng(new Float32Array(5), 2, 1)).toThrow(/expected 2×1×3/);
    expect(() => encodePng(new Float32Array(0), 0, 0)).toThrow(/invalid image size/);
  });

  it('decodes 16-bit RGB at full precision', () => {
    const w = 4, h = 2;
    const samples = new Uint16Array(w * h * 4);
    for (let i = 0; i < w * h; i++) samples.set([i * 8191, 65535 - i * 1000, 257 * i + 1, 65535], i * 4);
    const file = pngjsWrite(w, h, Buffer.from(samples.buffer), { bitDepth: 16, colorType: 2, inputColorType: 6 });
    expect(file[24]).toBe(16); // IHDR bit depth
    const img = decodePng(file);
    for (let i = 0; i < w * h; i++) {
      expect(img.data[i * 3]).toBeCloseTo((i * 8191) / 65535, 6);
      expect(img.data[i * 3 + 1]).toBeCloseTo((65535 - i * 1000) / 65535, 6);
      expect(img.data[i * 3 + 2]).toBeCloseTo((257 * i + 1) / 65535, 6);
    }
  });

  it('decodes palette PNGs (8-bit and 2-bit indices)', () => {
    const plte = Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30);
    const img8 = decodePng(rawPng({ width: 4, height: 1, depth: 8, colorType: 3, rows: [Uint8Array.of(0, 1, 2, 3)], plte }));
    expect(Array.from(img8.data, (v) => Math.round(v * 255))).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    // 2-bit indices 3,2,1,0 packed into one byte: 0b11_10_01_00.
    const img2 = decodePng(rawPng({ width: 4, height: 1, depth: 2, colorType: 3, rows: [Uint8Array.of(0b11100100)], plte }));
    expect(Array.from(img2.data, (v) => Math.round(v * 255))).toEqual([10, 20, 30, 0, 0, 255, 0, 255, 0, 255, 0, 0]);
  });

  it('decodes grayscale at 1, 4, 8 and 16 bits into equal RGB', () => {
    const g1 = decodePng(rawPng({ width: 8, height: 1, depth: 1, colorType: 0, rows: [Uint8Array.of(0b10110000)] }));
    expect(Array.from(g1.data.filter((_, i) => i % 3 === 0))).toEqual([1, 0, 1, 1, 0, 0, 0, 0]);
    const g4 = decodePng(rawPng({ width: 2, height: 1, depth: 4, colorType: 0, rows: [Uint8Array.of(0x5f)] }));
    expect(Array.from(g4.data)).toEqual([5 / 15, 5 / 15, 5 / 15, 1, 1, 1].map((v) => Math.fround(v)));
    const g16 = decodePng(rawPng({ width: 1, height: 1, depth: 16, colorType: 0, rows: [Uint8Array.of(0x12, 0x34)] }));
    expect(g16.data[0]).toBeCloseTo(0x1234 / 65535, 6);
    expect(g16.data[1]).toBe(g16.data[0]);
  });

  it('drops alpha without compositing (RGBA and gray+alpha)', () => {
    const rgba = Buffer.from([200, 100, 50, 0, 10, 20, 30, 128]);
    const img = decodePng(pngjsWrite(2, 1, rgba, { colorType: 6, inputColorType: 6 }));
    expect(Array.from(img.data, (v) => Math.round(v * 255))).toEqual([200, 100, 50, 10, 20, 30]);
    const ga = decodePng(rawPng({ width: 2, height: 1, depth: 8, colorType: 4, rows: [Uint8Array.of(77, 0, 150, 255)] }));
    expect(Array.from(ga.data, (v) => Math.round(v * 255))).toEqual([77, 77, 77, 150, 150, 150]);
  });

  it('keeps the colour of tRNS-keyed pixels', () => {
    // RGB 8-bit with colour key (10, 20, 30): pngjs would turn those pixels black.
    const trns = Uint8Array.of(0, 10, 0, 20, 0, 30);
    const img = decodePng(rawPng({ width: 2, height: 1, depth: 8, colorType: 2, rows: [Uint8Array.of(10, 20, 30, 1, 2, 3)], trns }));
    expect(Array.from(img.data, (v) => Math.round(v * 255))).toEqual([10, 20, 30, 1, 2, 3]);
  });

  it('decodes interlaced PNGs', () => {
    const w = 3, h = 3;
    const pixels = Array.from({ length: w * h }, (_, i) => i * 20);
    // Adam7 passes as (x0, y0, dx, dy); each pass is a small image of filtered rows.
    const adam7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
    const raw: number[] = [];
    for (const [x0, y0, dx, dy] of adam7) {
      for (let y = y0; y < h; y += dy) {
        const row: number[] = [];
        for (let x = x0; x < w; x += dx) row.push(pixels[y * w + x]);
        if (row.length) raw.push(0, ...row);
      }
    }
    const base = rawPng({ width: w, height: h, depth: 8, colorType: 0, rows: [Uint8Array.of(0, 0, 0)] });
    const chunks = splitPngChunks(base);
    chunks[0].data[12] = 1; // interlace method: Adam7
    chunks.find((c) => c.type === 'IDAT')!.data = deflateSync(Uint8Array.from(raw));
    const img = decodePng(joinPngChunks(chunks));
    expect(Array.from(img.data.filter((_, i) => i % 3 === 0), (v) => Math.round(v * 255))).toEqual(pixels);
  });

  it('throws readable errors for broken files', () => {
    const good = encodePng(gradient(8, 8).data, 8, 8);
    expect(() => decodePng(good.subarray(0, 40))).toThrow();
    const corrupt = good.slice();
    const idat = splitPngChunks(corrupt).find((c) => c.type === 'IDAT')!;
    idat.data.fill(7);
    expect(() => decodePng(corrupt)).toThrow(/cannot decode PNG/);
  });

  it('refuses images over the pixel limit before allocating', () => {
    const huge = rawPng({ width: 100000, height: 100000, depth: 8, colorType: 0, rows: [Uint8Array.of(0)] });
    expect(() => decodePng(huge)).toThrow(/megapixel limit/);
  });
});

describe('PNG text chunks', () => {
  it('round-trips ASCII as tEXt and Unicode as iTXt', () => {
    const text = { prompt: '{"1":{"class_type":"X"}}', title: 'chien d’été 🐕', empty: '' };
    const file = encodePng(gradient(2, 2).data, 2, 2, text);
    const types = splitPngChunks(file).map((c) => c.type);
    expect(types.slice(0, 4)).toEqual(['IHDR', 'tEXt', 'iTXt', 'tEXt']);
    expect(readPngText(file)).toEqual(text);
    // The pixels are unaffected by the extra chunks.
    expect(Array.from(decodePng(file).data)).toEqual(Array.from(gradient(2, 2).data));
  });

  it('reads zTXt and compressed iTXt chunks', () => {
    const key = new TextEncoder().encode('Comment');
    const z = new Uint8Array([...key, 0, 0, ...deflateSync(Buffer.from('compressed latin-1 \xe9', 'latin1'))]);
    const itxt = new Uint8Array([...new TextEncoder().encode('Title'), 0, 1, 0, ...new TextEncoder().encode('fr'), 0, 0, ...deflateSync(Buffer.from('été', 'utf8'))]);
    const file = rawPng({ width: 1, height: 1, depth: 8, colorType: 0, rows: [Uint8Array.of(9)], extra: [{ type: 'zTXt', data: z }, { type: 'iTXt', data: itxt }] });
    expect(readPngText(file)).toEqual({ Comment: 'compressed latin-1 é', Title: 'été' });
  });

  it('refuses invalid keywords and non-PNG input', () => {
    expect(() => encodePng(gradient(1, 1).data, 1, 1, { '': 'x' })).toThrow(/keyword/);
    expect(() => encodePng(gradient(1, 1).data, 1, 1, { ['k'.repeat(80)]: 'x' })).toThrow(/keyword/);
    expect(() => readPngText(new Uint8Array([1, 2, 3]))).toThrow(/not a PNG/);
  });

  it('detects truncation and lengths running past the end', () => {
    const file = encodePng(gradient(4, 4).data, 4, 4, { a: 'b' });
    expect(() => readPngText(file.subarray(0, file.length - 12))).toThrow(/truncated|past the end/);
    const liar = file.slice();
    new DataView(liar.buffer).setUint32(33, 0xfffffff0); // first chunk after IHDR claims ~4 GiB
    expect(() => readPngText(liar)).toThrow(/past the end/);
  });
});
