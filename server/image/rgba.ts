// 8-bit RGBA images for the routes that hand images back as files: /view's channel and preview
// conversions and /upload/mask. Unlike decodeImage (float RGB for the nodes) decoding keeps
// alpha; JPEGs are turned upright by their EXIF orientation, as decodeJpeg does, since the
// browser shows them upright and the re-encoded file carries no EXIF.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { joinPngChunks, splitPngChunks } from './png-chunks.ts';
import { sniffImageFormat } from './decode.ts';
import { encodeTextChunk } from './png-text.ts';
import { pngHeader } from './png.ts';
import { jpegFrame, jpegOrientation, orientationSource } from './jpeg.ts';
import { resizePlane, type ResizeMethod } from './resize.ts';
import { checkImageSize, MAX_IMAGE_PIXELS } from './types.ts';

export interface RgbaImage {
  width: number;
  height: number;
  /** height × width × 4 bytes, row-major RGBA; alpha 255 where the file has none. */
  data: Uint8Array;
}

/** Bounds for one decode (the HTTP layer passes its decode budget); the defaults are the image module's own limits. */
export interface RgbaDecodeLimits {
  maxMegapixels?: number;
  /** jpeg-js's allocation cap. */
  maxMemoryMb?: number;
}

interface PngjsResult {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  transColor?: number[];
  data: Uint8Array;
}

function checkPixels(width: number, height: number, maxMegapixels: number): void {
  checkImageSize(width, height);
  if (width * height > maxMegapixels * 1e6) throw new Error(`image is ${width}×${height}, more than ${maxMegapixels} megapixels`);
}

function decodePngRgba(bytes: Uint8Array, maxMegapixels: number): RgbaImage {
  const h = pngHeader(bytes);
  checkPixels(h.width, h.height, maxMegapixels);
  let png: PngjsResult;
  try {
    // pngjs's default output: 8-bit RGBA whatever the colour type and depth (16 bits scaled down).
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as unknown as PngjsResult;
  } catch (e) {
    throw new Error(`cannot decode PNG: ${(e as Error).message}`);
  }
  const { width, height, data } = png;
  if (data.length < width * height * 4) throw new Error('cannot decode PNG: pixel data is short');
  // pngjs zeroes the pixels matching a tRNS colour key; put the colour back under alpha 0.
  const key = png.transColor && (png.colorType === 0 || png.colorType === 2) ? png.transColor : undefined;
  if (key) {
    const scale = 255 / (2 ** png.depth - 1);
    const [r, g, b] = (key.length === 1 ? [key[0], key[0], key[0]] : key).map((v) => Math.floor(v * scale + 0.5));
    for (let i = 0; i < width * height * 4; i += 4) {
      if (data[i + 3] !== 0) continue;
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
    }
  }
  return { width, height, data: data.subarray(0, width * height * 4) };
}

function decodeJpegRgba(bytes: Uint8Array, limits: Required<RgbaDecodeLimits>): RgbaImage {
  const frame = jpegFrame(bytes);
  checkPixels(frame.width, frame.height, limits.maxMegapixels);
  let raw: { width: number; height: number; data: Uint8Array };
  try {
    raw = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: limits.maxMegapixels, maxMemoryUsageInMB: limits.maxMemoryMb });
  } catch (e) {
    throw new Error(`cannot decode JPEG: ${(e as Error)?.message ?? String(e)}`);
  }
  if (raw.data.length < raw.width * raw.height * 4) throw new Error('cannot decode JPEG: pixel data is short');
  return orientRgba({ width: raw.width, height: raw.height, data: raw.data }, jpegOrientation(bytes));
}

/** Decodes a PNG or JPEG (by its magic bytes) to 8-bit RGBA, upright. Throws a readable error. */
export function decodeRgba(bytes: Uint8Array, limits: RgbaDecodeLimits = {}): RgbaImage {
  const l = { maxMegapixels: limits.maxMegapixels ?? MAX_IMAGE_PIXELS / 1e6, maxMemoryMb: limits.maxMemoryMb ?? 2048 };
  const format = sniffImageFormat(bytes);
  if (format === 'png') return decodePngRgba(bytes, l.maxMegapixels);
  if (format === 'jpeg') return decodeJpegRgba(bytes, l);
  throw new Error('not a PNG or JPEG image');
}

/** Applies an EXIF orientation (1-8) to RGBA pixels (jpeg.ts's mapping, four bytes a pixel). */
export function orientRgba(image: RgbaImage, orientation: number): RgbaImage {
  if (orientation <= 1 || orientation > 8) return image;
  const { width, height, source } = orientationSource(image.width, image.height, orientation);
  // Whole pixels as 32-bit words (a copy when the bytes are not 4-aligned).
  const bytes = image.data.byteOffset % 4 === 0 ? image.data : image.data.slice();
  const src = new Uint32Array(bytes.buffer, bytes.byteOffset, image.width * image.height);
  const out = new Uint32Array(source.length);
  for (let d = 0; d < source.length; d++) out[d] = src[source[d]];
  return { width, height, data: new Uint8Array(out.buffer) };
}

/** ComfyUI's `channel=a` image: black, with the image's alpha as its alpha. */
export function alphaImage(image: RgbaImage): RgbaImage {
  const data = new Uint8Array(image.data.length);
  for (let i = 3; i < data.length; i += 4) data[i] = image.data[i];
  return { width: image.width, height: image.height, data };
}

/**
 * `image` with the alpha of `mask` (ComfyUI's mask upload). A mask of another size is resized
 * to the image's first (`method`, bilinear by default), as resizeImage would resize it.
 */
export function putAlpha(image: RgbaImage, mask: RgbaImage, method: ResizeMethod = 'bilinear'): RgbaImage {
  const n = image.width * image.height;
  const same = mask.width === image.width && mask.height === image.height;
  const plane = new Uint8Array(mask.width * mask.height);
  for (let i = 0; i < plane.length; i++) plane[i] = mask.data[i * 4 + 3];
  let alpha = plane;
  if (!same) {
    const resized = resizePlane(plane, mask.width, mask.height, image.width, image.height, method);
    alpha = new Uint8Array(n);
    for (let i = 0; i < n; i++) alpha[i] = Math.min(255, Math.max(0, Math.round(resized[i])));
  }
  const data = image.data.slice();
  for (let i = 0; i < n; i++) data[i * 4 + 3] = alpha[i];
  return { width: image.width, height: image.height, data };
}

/**
 * Encodes 8-bit RGBA pixels as a PNG: RGBA, or RGB with the alpha dropped (not composited:
 * the colour under a transparent pixel is kept, as ComfyUI's `channel=rgb` keeps it). `text`
 * entries become text chunks after IHDR, as encodePng writes them; keywords a PNG cannot
 * carry are left out.
 */
export function encodeRgbaPng(image: RgbaImage, opts: { alpha: boolean; text?: Record<string, string> }): Uint8Array {
  const { width, height, data } = image;
  checkImageSize(width, height);
  if (data.length !== width * height * 4) throw new Error(`encodeRgbaPng: data has ${data.length} bytes, expected ${width}×${height}×4`);
  let pixels: Buffer;
  if (opts.alpha) {
    pixels = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  } else {
    pixels = Buffer.allocUnsafe(width * height * 3);
    for (let i = 0, j = 0; i < data.length; i += 4, j += 3) {
      pixels[j] = data[i];
      pixels[j + 1] = data[i + 1];
      pixels[j + 2] = data[i + 2];
    }
  }
  const colorType = opts.alpha ? 6 : 2;
  // pngjs's sync writer only reads width, height, data and gamma from its first argument.
  const file = PNG.sync.write({ width, height, data: pixels, gamma: 0 } as unknown as PNG, {
    colorType,
    inputColorType: colorType,
    inputHasAlpha: opts.alpha,
    // As encodePng: ComfyUI's level 4, one fixed filter ("Up") for speed.
    deflateLevel: 4,
    filterType: 2,
  });
  const chunks = [];
  for (const [k, v] of Object.entries(opts.text ?? {})) {
    try {
      chunks.push(encodeTextChunk(k, v));
    } catch {
      // a keyword no PNG can carry: left out
    }
  }
  if (chunks.length === 0) return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const all = splitPngChunks(file);
  all.splice(1, 0, ...chunks);
  return joinPngChunks(all);
}

/** Encodes 8-bit RGBA pixels as a baseline JPEG at `quality` (1-100; alpha is ignored). */
export function encodeRgbaJpeg(image: RgbaImage, quality: number): Uint8Array {
  const { width, height, data } = image;
  checkImageSize(width, height);
  const out = jpeg.encode({ width, height, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) }, Math.min(100, Math.max(1, Math.round(quality))));
  return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
}
