// Uploads must be real images: a worker thread decodes the PNG (pngjs) or JPEG (jpeg-js)
// fully, within size limits, so a renamed text file or a truncated image is refused before
// it lands in input/ — and a large decode never stalls the HTTP thread.
import { Worker } from 'node:worker_threads';

export interface ImageInfo {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

/** Largest image decoded for the check; far above what the models take. */
const MAX_MEGAPIXELS = 64;
const workerFile = new URL('./image-decode.worker.mjs', import.meta.url);

/** Decodes `buf` off-thread; rejects with the reason when it is not a readable PNG or JPEG. */
export function checkImage(buf: Uint8Array): Promise<ImageInfo> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile, {
      workerData: { bytes: buf, maxMegapixels: MAX_MEGAPIXELS },
      // A decompression bomb ends this thread, not the server.
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
