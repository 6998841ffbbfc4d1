// Image conversions the file routes answer with: /view's `channel=rgb|a` and `preview`, and
// /upload/mask's alpha copy. Each runs in a worker thread (image-convert.worker.mjs →
// image-convert.job.ts) under the upload check's rules (image-check.ts): every input's header
// is held to the decode budget first (a small PNG declaring 8000×8000 is refused unread), and
// the decode waits for one of the decodeSlots, so /view can neither be used as a
// decompression bomb nor stall the HTTP thread.
import { Worker } from 'node:worker_threads';
import { checkDecodeBudget, decodeSlots, ImageTooLargeError, MAX_DECODED_BYTES, readImageHeader } from './image-check.ts';

export type ConvertJob =
  /** The image without alpha, as an RGB PNG. */
  | { op: 'rgb'; image: Uint8Array }
  /** ComfyUI's alpha image: black RGBA whose alpha is the image's (255 where it has none), PNG. */
  | { op: 'alpha'; image: Uint8Array }
  /** The image as a JPEG at `quality` (1-100). */
  | { op: 'jpeg'; image: Uint8Array; quality: number }
  /** `image` with the alpha of `mask` (resized to the image's size when it differs), RGBA PNG, its text chunks kept. */
  | { op: 'mask'; image: Uint8Array; mask: Uint8Array };

/** The input a failure is about: the (stored) image, or an uploaded mask. */
export type ConvertInput = 'image' | 'mask';

export type ConvertReply = { ok: true; bytes: Uint8Array } | { ok: false; input: ConvertInput; message: string };

/** An input that cannot be converted: past the decode budget (`tooLarge`), or not a readable PNG/JPEG. */
export class ConvertError extends Error {
  constructor(
    readonly input: ConvertInput,
    readonly tooLarge: boolean,
    message: string,
  ) {
    super(message);
  }
}

const MiB = 1024 * 1024;

/**
 * Largest file a conversion reads into memory: twice the decode budget. An image within the
 * budget is smaller (a PNG of incompressible 4096×4096 RGBA is the budget plus a little).
 */
export const MAX_CONVERT_FILE_BYTES = 2 * MAX_DECODED_BYTES;

/** The worker's own bounds, a second line behind the header check (as the upload check's worker has). */
const LIMITS = { maxMegapixels: MAX_DECODED_BYTES / 4 / 1e6, maxMemoryMb: (3 * MAX_DECODED_BYTES) / MiB };

const workerFile = new URL('./image-convert.worker.mjs', import.meta.url);

function checkHeader(bytes: Uint8Array, input: ConvertInput): void {
  try {
    checkDecodeBudget(readImageHeader(bytes));
  } catch (e) {
    throw new ConvertError(input, e instanceof ImageTooLargeError, (e as Error).message);
  }
}

function runInWorker(job: ConvertJob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile, {
      workerData: { job, limits: LIMITS },
      // A conversion that still runs away ends this thread, not the server.
      resourceLimits: { maxOldGenerationSizeMb: 1536 },
    });
    let settled = false;
    worker.once('message', (m: ConvertReply) => {
      settled = true;
      if (m.ok) resolve(m.bytes);
      else reject(new ConvertError(m.input, false, m.message));
    });
    worker.once('error', (e: Error & { code?: string }) => {
      settled = true;
      // Out of memory is the input's doing; anything else (the worker failing to load) is ours: a 500, logged.
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') reject(new ConvertError('image', true, 'the conversion ran out of memory'));
      else reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`image converter stopped (exit code ${code})`));
    });
  });
}

/**
 * Runs a conversion off-thread and resolves with the encoded file. `load` reads the inputs
 * once a decode slot is free, so requests waiting their turn do not hold whole files in
 * memory. Rejects with ConvertError for an input past the decode budget (refused from its
 * header, before any decoding) or one that does not decode; `load`'s own errors pass through.
 */
export function convertImage(load: () => Promise<ConvertJob>): Promise<Uint8Array> {
  return decodeSlots.run(async () => {
    const job = await load();
    if (job.op === 'mask') checkHeader(job.mask, 'mask');
    checkHeader(job.image, 'image');
    return runInWorker(job);
  });
}
