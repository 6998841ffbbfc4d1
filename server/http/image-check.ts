// Uploads must be real images: a worker thread decodes the PNG (pngjs) or JPEG (jpeg-js)
// fully, so a renamed text file or a truncated image is refused before it lands in input/ —
// and a large decode never stalls the HTTP thread.
//
// Decompression bombs are refused from the header, before any decoding: a 500 KB PNG may
// declare 8000×8000 16-bit RGBA, 1.7 GB and 12 s to decode. And at most
// MAX_CONCURRENT_DECODES decodes run at once, so parallel uploads queue instead of stacking
// their memory.
import { Worker } from 'node:worker_threads';
import { jpegFrame, pngHeader, sniffImageFormat } from '../image/index.ts';

export interface ImageInfo {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

export interface ImageHeader extends ImageInfo {
  /** Bits per sample (PNG 1–16, JPEG 8 or 12). */
  bitDepth: number;
  channels: number;
  /** width × height × bytes per pixel, where a pixel takes its samples or the decoders' 4-byte RGBA output, whichever is larger. */
  decodedBytes: number;
}

/**
 * Largest decode the upload check starts: 4096×4096 at 4 bytes per pixel (8-bit RGBA) = 64 MiB,
 * e.g. 4096×4096 8-bit RGB or RGBA, or 4096×2048 16-bit RGBA. The decoders hold two to three
 * times this at their peak (inflated scanlines, unfiltered rows, RGBA output; jpeg-js its
 * coefficient blocks), so one check stays near 200 MB and two at once near 400 MB. The
 * models work at 512² and below; larger photos are accepted up to this size.
 */
export const MAX_DECODED_BYTES = 4096 * 4096 * 4;
/** Decodes running at once; the rest wait their turn. */
export const MAX_CONCURRENT_DECODES = 2;

/** The image is readable but too large to decode: answered 413. */
export class ImageTooLargeError extends Error {}

function header(format: 'png' | 'jpeg', h: { width: number; height: number; bitDepth: number; channels: number }): ImageHeader {
  const { width, height, bitDepth, channels } = h;
  if (width <= 0 || height <= 0) throw new Error(`invalid image size ${width}×${height}`);
  const bytesPerPixel = Math.max(4, (channels * Math.max(8, bitDepth)) / 8);
  return { format, width, height, bitDepth, channels, decodedBytes: width * height * bytesPerPixel };
}

/** Format, size and decoded size from the header alone; throws for anything but PNG or JPEG. */
export function readImageHeader(buf: Uint8Array): ImageHeader {
  const format = sniffImageFormat(buf);
  if (format === 'png') return header(format, pngHeader(buf));
  if (format === 'jpeg') return header(format, jpegFrame(buf));
  throw new Error('not a PNG or JPEG image');
}

const MiB = 1024 * 1024;

/** Refuses (ImageTooLargeError) a header whose decode would pass MAX_DECODED_BYTES. */
export function checkDecodeBudget(h: ImageHeader, budget = MAX_DECODED_BYTES): void {
  if (h.decodedBytes <= budget) return;
  throw new ImageTooLargeError(
    `a ${h.width}×${h.height} ${h.bitDepth}-bit ${h.channels}-channel ${h.format.toUpperCase()} takes ` +
      `${Math.ceil(h.decodedBytes / MiB)} MiB to decode, more than the ${budget / MiB} MiB limit (4096×4096 8-bit RGBA)`,
  );
}

/** At most `size` holders at once; the others wait, first come first served. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Most holders seen at once (for tests and diagnostics). */
  peak = 0;

  constructor(readonly size: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.size) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the releaser hands over its slot
    this.peak = Math.max(this.peak, this.active);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export const decodeSlots = new Semaphore(MAX_CONCURRENT_DECODES);

const workerFile = new URL('./image-decode.worker.mjs', import.meta.url);

/** The worker's own bounds, a second line behind the header check: pixels at 4 bytes each, and jpeg-js's allocation cap. */
const WORKER_LIMITS = { maxMegapixels: MAX_DECODED_BYTES / 4 / 1e6, maxMemoryMb: (3 * MAX_DECODED_BYTES) / MiB };

function decodeInWorker(buf: Uint8Array): Promise<ImageInfo> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile, {
      workerData: { bytes: buf, ...WORKER_LIMITS },
      // A decode that still runs away ends this thread, not the server.
      resourceLimits: { maxOldGenerationSizeMb: 1536 },
    });
    let settled = false;
    worker.once('message', (m: { ok: true } & ImageInfo | { ok: false; message: string }) => {
      settled = true;
      if (m.ok) resolve({ format: m.format, width: m.width, height: m.height });
      else reject(new Error(m.message));
    });
    worker.once('error', (e) => {
      settled = true;
      reject(new Error(`cannot decode: ${e.message}`));
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`decoder stopped (exit code ${code})`));
    });
  });
}

/**
 * Checks `buf` is a readable PNG or JPEG: the header first (ImageTooLargeError past the decode
 * budget), then a full decode off-thread, queued behind decodeSlots. Rejects with the reason.
 */
export async function checkImage(buf: Uint8Array): Promise<ImageInfo> {
  checkDecodeBudget(readImageHeader(buf));
  return decodeSlots.run(() => decodeInWorker(buf));
}

const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(name: string): string {
  const dot = name.lastIndexOf('.');
  return (dot >= 0 && TYPES[name.slice(dot).toLowerCase()]) || 'application/octet-stream';
}
