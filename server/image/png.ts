// PNG decode (any bit depth / colour type pngjs reads) and 8-bit RGB encode with text chunks.
import { PNG } from 'pngjs';
import { decodeTextChunk, encodeTextChunk } from './png-text.ts';
import { joinPngChunks, splitPngChunks } from './png-chunks.ts';
import { checkImageSize, type RgbImage } from './types.ts';

/** PNG colour type → samples per pixel (palette images index one sample). */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Size, bit depth and samples per pixel from the IHDR chunk, without decoding pixels. */
export function pngHeader(bytes: Uint8Array): { width: number; height: number; bitDepth: number; channels: number } {
  if (bytes.length < 26) throw new Error('PNG is truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new Error('PNG does not start with an IHDR chunk');
  const channels = PNG_CHANNELS[bytes[25]];
  if (channels === undefined) throw new Error(`PNG colour type ${bytes[25]} is invalid`);
  return { width: view.getUint32(16), height: view.getUint32(20), bitDepth: bytes[24], channels };
}

/** Width and height from the IHDR chunk, without decoding pixels. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const { width, height } = pngHeader(bytes);
  return { width, height };
}

interface PngjsResult {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  palette: boolean;
  transColor?: number[];
  data: Uint8Array | Uint16Array;
}

/**
 * Decodes a PNG to RGB in [0,1] at full precision (16-bit samples are divided by 65535).
 * Alpha is dropped, not composited: the colour stored under a transparent pixel is kept.
 */
export function decodePng(bytes: Uint8Array): RgbImage {
  const { width, height } = pngSize(bytes);
  checkImageSize(width, height);
  let png: PngjsResult;
  try {
    // skipRescale keeps 16-bit (and 1/2/4-bit) samples as stored; we normalise below.
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true }) as unknown as PngjsResult;
  } catch (e) {
    throw new Error(`cannot decode PNG: ${(e as Error).message}`);
  }
  // Palette entries are 8-bit whatever the index depth.
  const max = png.colorType === 3 ? 255 : 2 ** png.depth - 1;
  const src = png.data;
  const n = width * height;
  if (src.length < n * 4) throw new Error('cannot decode PNG: pixel data is short');
  const out = new Float32Array(n * 3);
  const scale = 1 / max;
  // pngjs zeroes pixels matching a tRNS colour key; put the keyed colour back (alpha is dropped anyway).
  const key = png.transColor && (png.colorType === 0 || png.colorType === 2) ? png.transColor : undefined;
  for (let i = 0; i < n; i++) {
    if (key && src[i * 4 + 3] === 0) {
      out[i * 3] = key[0] * scale;
      out[i * 3 + 1] = (key.length === 1 ? key[0] : key[1]) * scale;
      out[i * 3 + 2] = (key.length === 1 ? key[0] : key[2]) * scale;
      continue;
    }
    out[i * 3] = src[i * 4] * scale;
    out[i * 3 + 1] = src[i * 4 + 1] * scale;
    out[i * 3 + 2] = src[i * 4 + 2] * scale;
  }
  return { width, height, data: out };
}

/** Float [0,1] → byte: clamped, rounded to nearest; NaN becomes 0. */
export function toByte(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/**
 * Encodes HWC RGB floats in [0,1] as an 8-bit RGB PNG. `text` entries become tEXt chunks
 * (iTXt when not pure ASCII), placed right after IHDR so readers find them early.
 */
export function encodePng(image: Float32Array, width: number, height: number, text?: Record<string, string>): Uint8Array {
  checkImageSize(width, height);
  if (image.length !== width * height * 3) {
    throw new Error(`encodePng: data has ${image.length} values, expected ${width}×${height}×3 = ${width * height * 3}`);
  }
  const rgb = Buffer.allocUnsafe(image.length);
  for (let i = 0; i < image.length; i++) rgb[i] = toByte(image[i]);
  // pngjs's sync writer only reads width, height, data and gamma from its first argument.
  const file = PNG.sync.write({ width, height, data: rgb, gamma: 0 } as unknown as PNG, {
    colorType: 2,
    inputColorType: 2,
    inputHasAlpha: false,
    // ComfyUI saves at level 4: a fair size/speed trade for photos.
    deflateLevel: 4,
    // One fixed filter ("Up"): pngjs's adaptive choice tries all five per row and made a
    // 1024² save 3.5× slower (≈480 vs 130 ms) for files only ≈5% smaller (bench/image.ts).
    filterType: 2,
  });
  const entries = Object.entries(text ?? {});
  if (entries.length === 0) return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const chunks = splitPngChunks(file);
  chunks.splice(1, 0, ...entries.map(([k, v]) => encodeTextChunk(k, v)));
  return joinPngChunks(chunks);
}

/** All text chunks (tEXt, zTXt, iTXt) of a PNG, keyword → text; a later duplicate wins. */
export function readPngText(bytes: Uint8Array): Record<string, string> {
  // No prototype: a chunk keyed `__proto__` stays plain data.
  const out: Record<string, string> = Object.create(null);
  for (const chunk of splitPngChunks(bytes)) {
    if (chunk.type === 'IDAT') continue;
    const kv = decodeTextChunk(chunk);
    if (kv) out[kv[0]] = kv[1];
  }
  return out;
}
