// Decoding by content, not by file name: the magic bytes pick the codec.
import { hasPngSignature } from './png-chunks.ts';
import { decodePng, pngSize } from './png.ts';
import { decodeJpeg, jpegSize } from './jpeg.ts';
import type { RgbImage } from './types.ts';

export type ImageFormat = 'png' | 'jpeg';

/** Formats we recognise only to name them in the error. */
const UNSUPPORTED: [string, (b: Uint8Array) => boolean][] = [
  ['GIF', (b) => b.length >= 6 && String.fromCharCode(...b.subarray(0, 4)) === 'GIF8'],
  ['WebP', (b) => b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP'],
  ['BMP', (b) => b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d],
  ['TIFF', (b) => b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 42) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 42))],
];

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (hasPngSignature(bytes)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

function unsupported(bytes: Uint8Array): Error {
  const known = UNSUPPORTED.find(([, test]) => test(bytes));
  return new Error(known ? `${known[0]} images are not supported (use PNG or JPEG)` : 'not a PNG or JPEG image');
}

/** Decodes a PNG or JPEG to RGB floats in [0,1] (HWC). Throws a readable error for anything else. */
export function decodeImage(bytes: Uint8Array): RgbImage {
  switch (sniffImageFormat(bytes)) {
    case 'png':
      return decodePng(bytes);
    case 'jpeg':
      return decodeJpeg(bytes);
    default:
      throw unsupported(bytes);
  }
}

/** Format and displayed size from the header only (cheap: for validation before a full decode). */
export function probeImage(bytes: Uint8Array): { format: ImageFormat; width: number; height: number } {
  const format = sniffImageFormat(bytes);
  if (format === 'png') return { format, ...pngSize(bytes) };
  if (format === 'jpeg') return { format, ...jpegSize(bytes) };
  throw unsupported(bytes);
}
